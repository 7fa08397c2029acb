using System.Globalization;
using TfFakeQuant.Native;
using TfFakeQuant.Ops;

// Runs TfFakeQuant's kernels inside the TensorFlow C runtime, the way TensorFlow.NET code would
// use them: a graph known only by its raw TF_Graph* handle, tensors as (TF_Operation*, index)
// pairs, our managed kernels registered under the kernel label "managed", and our gradients added
// with NativeGradients.AddGradients. It then trains the per-channel ranges for a few steps.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (!TensorFlowRuntime.TryLoad(out string diagnostics))
{
    Console.WriteLine("RuntimeKernels: no TensorFlow C library found, nothing to run.");
    Console.WriteLine(diagnostics);
    Console.WriteLine($"Point {TensorFlowRuntime.LibraryPathVariable} at libtensorflow.so (or the wheel's libtensorflow_cc.so.2) to run this example.");
    return 0;
}

Console.WriteLine($"TensorFlow {TensorFlowRuntime.Version} loaded from {TensorFlowRuntime.LibraryPath}");
KernelRegistration registration = NativeKernels.Register();
Console.WriteLine($"Registration: {registration.Details}");

// --- A graph as TensorFlow.NET would hold it: only the TF_Graph* and TF_Operation* handles travel.
using var owner = new NativeGraph();          // stands in for a TensorFlow.NET Graph
IntPtr graph = owner.Handle;                   // TensorFlow.NET: graph.Handle
(IntPtr, int) Placeholder(string name, TensorShape shape) => (owner.Placeholder(name, shape).OperationHandle, 0); // t._as_tf_output()

const int Rows = 64, Channels = 3;
(IntPtr, int) x = Placeholder("x", TensorShape.Of(Rows, Channels));
(IntPtr, int) min = Placeholder("min", TensorShape.Of(Channels));
(IntPtr, int) max = Placeholder("max", TensorShape.Of(Channels));
(IntPtr, int) upstream = Placeholder("upstream", TensorShape.Of(Rows, Channels));
IntPtr fq = NativeGraph.AddFakeQuant(graph, FakeQuantCatalog.VarsPerChannelName, [x, min, max], new FakeQuantAttrs(NumBits: 4), "fq",
    kernelLabel: registration.ManagedKernels ? NativeKernels.ManagedLabel : null);
(IntPtr Operation, int Index)[] grads = NativeGradients.AddGradients(graph, [(fq, 0)], [min, max], [upstream]);

using var session = new NativeSession(owner);
TfOutput Out((IntPtr Op, int Index) t) => owner.Output(t.Op, t.Index);
Console.WriteLine($"forward node 'fq' ({FakeQuantCatalog.VarsPerChannelName}) runs {(registration.ManagedKernels ? "TfFakeQuant's managed kernel inside TensorFlow (_kernel: \"managed\")" : "TensorFlow's own kernel")}");
Console.WriteLine($"gradient nodes: {Out(grads[0]).OperationName} (TensorFlow's kernel, our gradient definition)");

// --- Train the ranges so that the 4-bit fake-quantized x tracks x (loss = mean squared error).
var rng = new Random(1);
var data = new float[Rows * Channels];
for (int i = 0; i < data.Length; i++)
{
    data[i] = (float)((rng.NextDouble() * 2 - 1) * (1 + i % Channels));
}

var xs = new FloatTensor(TensorShape.Of(Rows, Channels), data);
float[] lo = [-0.5f, -0.5f, -0.5f], hi = [0.5f, 0.5f, 0.5f];
const float LearningRate = 0.5f;
for (int step = 0; step <= 20; step++)
{
    FloatTensor minT = FloatTensor.Vector(lo), maxT = FloatTensor.Vector(hi);
    FloatTensor y = session.Run([(Out(x), xs), (Out(min), minT), (Out(max), maxT)], [Out((fq, 0))])[0];
    var dLoss = new float[data.Length];
    double loss = 0;
    for (int i = 0; i < data.Length; i++)
    {
        float e = y[i] - data[i];
        loss += e * e;
        dLoss[i] = 2f * e / data.Length;
    }

    IReadOnlyList<FloatTensor> g = session.Run(
        [(Out(x), xs), (Out(min), minT), (Out(max), maxT), (Out(upstream), new FloatTensor(xs.Shape, dLoss))],
        [Out(grads[0]), Out(grads[1])]);
    if (step % 5 == 0)
    {
        Console.WriteLine($"step {step,2}: loss {loss / data.Length:F5}  min [{string.Join(", ", lo.Select(v => v.ToString("F3")))}]  max [{string.Join(", ", hi.Select(v => v.ToString("F3")))}]");
    }

    for (int c = 0; c < Channels; c++)
    {
        lo[c] -= LearningRate * g[0][c];
        hi[c] -= LearningRate * g[1][c];
    }
}

Console.WriteLine($"TensorFlow called TfFakeQuant's kernels {NativeKernels.ComputeCalls} times.");
return 0;
