using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TfFakeQuant.Native.Interop;

namespace TfFakeQuant.Native.Tests;

/// <summary>Marshalling layouts against the C headers (no TensorFlow needed).</summary>
[TestFixture]
[Category("Native")]
public class LayoutTests
{
    [Test]
    public void TfOutputIsAPointerAndAnInt()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<TF_Output>(), Is.EqualTo(16));
            Assert.That(Marshal.SizeOf<TF_Output>(), Is.EqualTo(16));
            Assert.That(Marshal.OffsetOf<TF_Output>(nameof(TF_Output.Oper)), Is.EqualTo((nint)0));
            Assert.That(Marshal.OffsetOf<TF_Output>(nameof(TF_Output.Index)), Is.EqualTo((nint)8));
            Assert.That(Unsafe.SizeOf<TF_Input>(), Is.EqualTo(16));
            Assert.That(Marshal.OffsetOf<TF_Input>(nameof(TF_Input.Index)), Is.EqualTo((nint)8));
        });
    }

    [Test]
    public void TfBufferAndStringViewMatchTheHeaders()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<TF_Buffer>(), Is.EqualTo(24));
            Assert.That(Marshal.OffsetOf<TF_Buffer>(nameof(TF_Buffer.Data)), Is.EqualTo((nint)0));
            Assert.That(Marshal.OffsetOf<TF_Buffer>(nameof(TF_Buffer.Length)), Is.EqualTo((nint)8));
            Assert.That(Marshal.OffsetOf<TF_Buffer>(nameof(TF_Buffer.DataDeallocator)), Is.EqualTo((nint)16));
            Assert.That(Unsafe.SizeOf<TF_StringView>(), Is.EqualTo(16));
            Assert.That(Marshal.OffsetOf<TF_StringView>(nameof(TF_StringView.Len)), Is.EqualTo((nint)8));
        });
    }

    [Test]
    public unsafe void StringViewReadsUtf8OfTheGivenLength()
    {
        byte[] bytes = "fq_grad/extra"u8.ToArray();
        fixed (byte* p = bytes)
        {
            var view = new TF_StringView { Data = p, Len = 7 };
            Assert.That(view.ToString(), Is.EqualTo("fq_grad"));
        }
    }

    [TestCase(TfCode.Ok, 0)]
    [TestCase(TfCode.Cancelled, 1)]
    [TestCase(TfCode.Unknown, 2)]
    [TestCase(TfCode.InvalidArgument, 3)]
    [TestCase(TfCode.DeadlineExceeded, 4)]
    [TestCase(TfCode.NotFound, 5)]
    [TestCase(TfCode.AlreadyExists, 6)]
    [TestCase(TfCode.PermissionDenied, 7)]
    [TestCase(TfCode.ResourceExhausted, 8)]
    [TestCase(TfCode.FailedPrecondition, 9)]
    [TestCase(TfCode.Aborted, 10)]
    [TestCase(TfCode.OutOfRange, 11)]
    [TestCase(TfCode.Unimplemented, 12)]
    [TestCase(TfCode.Internal, 13)]
    [TestCase(TfCode.Unavailable, 14)]
    [TestCase(TfCode.DataLoss, 15)]
    [TestCase(TfCode.Unauthenticated, 16)]
    public void TfCodeValuesAreTensorFlows(TfCode code, int value) => Assert.That((int)code, Is.EqualTo(value));

    [Test]
    public void TfCodeHasExactlyTheHeadersCodes() => Assert.That(Enum.GetValues<TfCode>(), Has.Length.EqualTo(17));

    [TestCase("TF_FLOAT", 1)]
    [TestCase("TF_DOUBLE", 2)]
    [TestCase("TF_INT32", 3)]
    [TestCase("TF_UINT8", 4)]
    [TestCase("TF_STRING", 7)]
    [TestCase("TF_INT64", 9)]
    [TestCase("TF_BOOL", 10)]
    public void TfDataTypeValuesAreTensorFlows(string name, int value) => Assert.That((int)Enum.Parse<TF_DataType>(name), Is.EqualTo(value));

    [Test]
    public void TfDataTypeIsAnInt() => Assert.That(Enum.GetUnderlyingType(typeof(TF_DataType)), Is.EqualTo(typeof(int)));

    [Test]
    public void ExceptionsCarryTensorFlowsCodeAndText()
    {
        var e = new TensorFlowException(TfCode.InvalidArgument, "num_bits must be between 2 and 16, inclusive", "TF_SessionRun");
        Assert.Multiple(() =>
        {
            Assert.That(e.Code, Is.EqualTo(TfCode.InvalidArgument));
            Assert.That(e.Message, Is.EqualTo("num_bits must be between 2 and 16, inclusive"));
            Assert.That(e.Stage, Is.EqualTo("TF_SessionRun"));
        });
    }
}

/// <summary>The once-per-process registration marker (no TensorFlow needed).</summary>
[TestFixture]
[Category("Native")]
public class RegistrationMarkerTests
{
    [TestCase("managed,axis;/opt/tf/libtensorflow.so", true, true)]
    [TestCase("none,axis;/opt/tf/libtensorflow.so", false, true)]
    [TestCase("managed,noaxis;/opt/tf/libtensorflow.so", true, false)]
    [TestCase("none,noaxis;/x/axis/managed.so", false, false)]
    public void TheMarkerIsReadTokenByToken(string marker, bool managed, bool axis)
    {
        string? previous = Environment.GetEnvironmentVariable(NativeKernels.RegisteredMarker);
        try
        {
            Environment.SetEnvironmentVariable(NativeKernels.RegisteredMarker, marker);
            Assert.That(NativeKernels.MarkerHas("managed"), Is.EqualTo(managed));
            Assert.That(NativeKernels.MarkerHas("axis"), Is.EqualTo(axis));
        }
        finally
        {
            Environment.SetEnvironmentVariable(NativeKernels.RegisteredMarker, previous);
        }
    }
}
