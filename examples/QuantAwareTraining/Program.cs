using System.Globalization;
using TfFakeQuant.Ops;

// Fake-quantizes a small [4, 3] tensor per channel (the channel is the last dimension) and prints
// the three outputs of FakeQuantWithMinMaxVarsPerChannelGradient, bit-exact with TensorFlow 2.21.
var inputs = new FloatTensor(TensorShape.Of(4, 3),
[
    -1.20f, 0.05f, 3.10f,
    -0.40f, 0.70f, 7.90f,
     0.33f, 1.30f, -0.2f,
     1.90f, -0.5f, 5.55f,
]);
FloatTensor min = FloatTensor.Vector(-1.0f, 0.0f, -2.0f);
FloatTensor max = FloatTensor.Vector(1.0f, 1.0f, 6.0f);
var upstream = new FloatTensor(inputs.Shape, Enumerable.Repeat(1f, inputs.Length).ToArray());

FloatTensor quantized = FakeQuantOps.PerChannel(inputs, min, max, numBits: 8);
var (dInputs, dMin, dMax) = FakeQuantOps.PerChannelGradient(upstream, inputs, min, max, numBits: 8);

Console.WriteLine("FakeQuantWithMinMaxVarsPerChannel, 8 bits, ranges per channel: [-1, 1], [0, 1], [-2, 6]");
Print("inputs", inputs);
Print("outputs", quantized);
Console.WriteLine();
Console.WriteLine("FakeQuantWithMinMaxVarsPerChannelGradient with an upstream gradient of ones:");
Print("backprops_wrt_input", dInputs);
Print("backprop_wrt_min", dMin);
Print("backprop_wrt_max", dMax);

static void Print(string name, FloatTensor t)
{
    Console.WriteLine($"{name} {t.Shape}:");
    long width = t.Shape.Rank == 0 ? 1 : t.Shape[-1];
    for (int i = 0; i < t.Length; i += (int)width)
    {
        var row = new List<string>();
        for (int j = i; j < i + width; j++)
        {
            row.Add(t[j].ToString("R", CultureInfo.InvariantCulture).PadLeft(12));
        }

        Console.WriteLine("  " + string.Join(" ", row));
    }
}
