using System.Globalization;
using TfFakeQuant.Graph;
using TfFakeQuant.Ops;
using static TfFakeQuant.Graph.FakeQuantGraphOps;

// Builds a small quantization-aware-training graph — placeholder → per-channel fake quant →
// tf.gradients — with the same nodes TensorFlow 2.21 builds, runs it once with the managed
// executor, and writes it as qat_graph.pb (binary GraphDef) and qat_graph.pbtxt (text form)
// for TensorFlow (tf.compat.v1.import_graph_def) and TensorFlow.NET (graph.Import).
//
//   dotnet run --project examples/GraphExport [-- --out DIR]      (default: out/ under the current directory)
string outDir = Path.Combine(Directory.GetCurrentDirectory(), "out");
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "--out" or "-o" && i + 1 < args.Length)
    {
        outDir = args[++i];
    }
    else if (args[i] is "--help" or "-h")
    {
        Console.WriteLine("usage: GraphExport [--out DIR]   writes DIR/qat_graph.pb and DIR/qat_graph.pbtxt (default DIR: ./out)");
        return 0;
    }
    else
    {
        Console.Error.WriteLine($"unknown argument '{args[i]}' (try --help)");
        return 2;
    }
}

const int Channels = 4;
var g = new GraphBuilder();
GraphTensor x = g.Placeholder(TensorShape.Of(-1L, Channels), "x");
GraphTensor min = g.Placeholder(TensorShape.Of((long)Channels), "min");
GraphTensor max = g.Placeholder(TensorShape.Of((long)Channels), "max");
GraphTensor fq = fake_quant_with_min_max_vars_per_channel(x, min, max, num_bits: 8, narrow_range: false, name: "fq");
IReadOnlyList<GraphTensor?> grads = gradients([fq], [x, min, max]);

Console.WriteLine($"Graph ({g.Nodes.Count} nodes, the ones TensorFlow 2.21's tf.gradients adds):");
foreach (GraphNode n in g.Nodes)
{
    Console.WriteLine($"  {n.Name,-62} {n.OpType}({string.Join(", ", n.Def.Input)})  -> {string.Join(", ", n.Outputs.Select(o => o.Shape))}");
}

// One run with the managed executor.
var feeds = new Dictionary<string, FloatTensor>
{
    ["x"] = new(TensorShape.Of(2L, Channels), [-1.2f, 0.05f, 3.1f, 9f, 0.33f, 1.3f, -0.2f, -9f]),
    ["min"] = FloatTensor.Vector(-1f, 0f, -2f, -4f),
    ["max"] = FloatTensor.Vector(1f, 1f, 6f, 4f),
};
string[] fetches = [fq.Name, .. grads.Select(t => t!.Name)];
FloatTensor[] values = new GraphExecutor(g).Run(feeds, fetches);
Console.WriteLine();
for (int i = 0; i < fetches.Length; i++)
{
    Console.WriteLine($"  {fetches[i],-66} {values[i].Shape} [{string.Join(", ", values[i].GetArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}]");
}

Directory.CreateDirectory(outDir);
string pb = Path.GetFullPath(Path.Combine(outDir, "qat_graph.pb"));
string pbtxt = Path.GetFullPath(Path.Combine(outDir, "qat_graph.pbtxt"));
GraphDefFile.Write(g.ToGraphDef(), pb);
GraphDefFile.Write(g.ToGraphDef(), pbtxt);
Console.WriteLine();
Console.WriteLine($"wrote {pb} ({new FileInfo(pb).Length} bytes)");
Console.WriteLine($"wrote {pbtxt}");
Console.WriteLine();
Console.WriteLine("Load it in TensorFlow:");
Console.WriteLine($"  gd = tf.compat.v1.GraphDef.FromString(open(r'{pb}', 'rb').read())");
Console.WriteLine("  dx, dmin, dmax = tf.compat.v1.import_graph_def(gd, name='', return_elements=[");
Console.WriteLine($"      {string.Join(", ", grads.Select(t => $"'{t!.Name}'"))}])");
Console.WriteLine("Load it in TensorFlow.NET:");
Console.WriteLine($"  var graph = new Graph().as_default(); graph.Import(File.ReadAllBytes(@\"{pb}\"));");
return 0;
