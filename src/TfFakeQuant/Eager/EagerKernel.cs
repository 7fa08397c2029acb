using NumSharp;

namespace TfFakeQuant.Eager;

/// <summary>
/// A managed eager kernel: computes an op's outputs from its input arrays and attrs, as a
/// TensorFlow CPU kernel's <c>Compute</c> does for one eager op execution.
/// </summary>
/// <param name="inputs">The inputs in OpDef order (never null; the kernel must not modify them).</param>
/// <param name="attrs">Attr values by TensorFlow attr name (<see cref="long"/> for <c>int</c>, <see cref="float"/>, <see cref="bool"/>, ...).</param>
/// <returns>The outputs in OpDef order; fresh arrays (an output that is one of the inputs is copied by the context).</returns>
public delegate NDArray[] EagerKernel(IReadOnlyList<NDArray> inputs, IReadOnlyDictionary<string, object> attrs);
