using System.Collections.Concurrent;
using NumSharp;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Eager;

/// <summary>
/// Op type name → managed <see cref="EagerKernel"/>: what an eager context runs for an op, as
/// TensorFlow's kernel registry maps an op type to its CPU kernel. Thread-safe.
/// </summary>
/// <remarks>
/// <see cref="RegisterFakeQuantKernels"/> registers the six FakeQuant ops (explicit, idempotent,
/// thread-safe; <see cref="EagerContext"/> calls it when it is created). Users add kernels for
/// other op names with <see cref="Register"/>; an existing registration — ours included — is only
/// replaced when the caller passes <c>replace: true</c>.
/// </remarks>
public sealed class KernelRegistry
{
    private readonly ConcurrentDictionary<string, EagerKernel> _kernels = new(StringComparer.Ordinal);

    /// <summary>The op type names that have a kernel (a snapshot, in no particular order).</summary>
    public IReadOnlyCollection<string> OpTypes => [.. _kernels.Keys];

    /// <summary>Registers <paramref name="kernel"/> for <paramref name="opType"/>.</summary>
    /// <param name="opType">TensorFlow op type name, for example <c>MatMul</c>.</param>
    /// <param name="kernel">The kernel.</param>
    /// <param name="replace">Replace an existing kernel (ours included). Registering the same delegate instance twice is a no-op either way.</param>
    /// <exception cref="InvalidOperationException">Another kernel is registered for <paramref name="opType"/> and <paramref name="replace"/> is false.</exception>
    /// <exception cref="ArgumentException"><paramref name="opType"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="kernel"/> is null.</exception>
    public void Register(string opType, EagerKernel kernel, bool replace = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(kernel);
        if (replace)
        {
            _kernels[opType] = kernel;
            return;
        }

        EagerKernel existing = _kernels.GetOrAdd(opType, kernel);
        if (!ReferenceEquals(existing, kernel))
        {
            throw new InvalidOperationException($"A kernel for '{opType}' is already registered; pass replace: true to replace it.");
        }
    }

    /// <summary>Looks up the kernel of <paramref name="opType"/>.</summary>
    /// <param name="opType">Op type name.</param>
    /// <param name="kernel">The kernel when registered.</param>
    /// <returns>Whether a kernel is registered.</returns>
    public bool TryGet(string opType, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EagerKernel? kernel)
    {
        ArgumentNullException.ThrowIfNull(opType);
        return _kernels.TryGetValue(opType, out kernel);
    }

    /// <summary>Whether <paramref name="opType"/> has a kernel.</summary>
    /// <param name="opType">Op type name.</param>
    /// <returns>True when registered.</returns>
    public bool Contains(string opType) => TryGet(opType, out _);

    /// <summary>
    /// Registers the managed kernels of the six FakeQuant ops (TensorFlow 2.21's CPU kernels,
    /// bit-exact: <see cref="FakeQuantOps.Execute(FakeQuantOpDef, IReadOnlyList{FloatTensor}, FakeQuantAttrs?, string?)"/>,
    /// with TensorFlow's eager kernel checks and texts). Idempotent and thread-safe; an op name
    /// that already has a kernel (a user's replacement) keeps it.
    /// </summary>
    public void RegisterFakeQuantKernels()
    {
        foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
        {
            _kernels.TryAdd(op.Name, FakeQuantKernels.For(op));
        }
    }

    /// <summary>The library's kernel of a FakeQuant op (for example to restore it after a replacement).</summary>
    /// <param name="opType">One of the six FakeQuant op type names.</param>
    /// <returns>The kernel.</returns>
    /// <exception cref="KeyNotFoundException">Not a FakeQuant op.</exception>
    public static EagerKernel FakeQuantKernel(string opType) => FakeQuantKernels.For(FakeQuantCatalog.Get(opType));
}

/// <summary>The six FakeQuant kernels over NumSharp arrays (one cached delegate per op).</summary>
internal static class FakeQuantKernels
{
    private static readonly EagerKernel[] Kernels = [.. FakeQuantCatalog.All.Select(Create)];

    public static EagerKernel For(FakeQuantOpDef op) => Kernels[(int)op.Kind];

    private static EagerKernel Create(FakeQuantOpDef op) => (inputs, attrs) =>
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(attrs);
        return FakeQuantOps.Execute(op, inputs, FakeQuantAttrs.FromDictionary(attrs));
    };
}
