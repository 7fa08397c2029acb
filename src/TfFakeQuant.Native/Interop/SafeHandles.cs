using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>
/// Base of every owned TensorFlow object. <see cref="Borrow"/> keeps the handle alive (ref-counted)
/// for the duration of a native call, so a concurrent Dispose cannot free it mid-call.
/// </summary>
internal abstract class TfSafeHandle : SafeHandle
{
    protected TfSafeHandle(nint existing, bool ownsHandle) : base(IntPtr.Zero, ownsHandle) => SetHandle(existing);

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The raw pointer, ref-counted until the lease is disposed.</summary>
    public Lease Borrow()
    {
        ObjectDisposedException.ThrowIf(IsClosed || IsInvalid, this);
        bool added = false;
        DangerousAddRef(ref added);
        return new Lease(this, handle);
    }

    internal readonly ref struct Lease
    {
        private readonly SafeHandle _owner;

        public Lease(SafeHandle owner, nint pointer)
        {
            _owner = owner;
            Pointer = pointer;
        }

        public nint Pointer { get; }

        public void Dispose() => _owner.DangerousRelease();
    }
}

internal sealed class StatusHandle() : TfSafeHandle(StatusApi.TF_NewStatus(), true)
{
    protected override bool ReleaseHandle()
    {
        StatusApi.TF_DeleteStatus(handle);
        return true;
    }
}

internal sealed class GraphHandle : TfSafeHandle
{
    /// <summary>A graph this process owns, or (ownsHandle false) a caller's graph that stays the caller's.</summary>
    public GraphHandle(nint graph, bool ownsHandle) : base(graph, ownsHandle)
    {
    }

    protected override bool ReleaseHandle()
    {
        GraphApi.TF_DeleteGraph(handle);
        return true;
    }
}

internal sealed class ImportOptionsHandle() : TfSafeHandle(GraphApi.TF_NewImportGraphDefOptions(), true)
{
    protected override bool ReleaseHandle()
    {
        GraphApi.TF_DeleteImportGraphDefOptions(handle);
        return true;
    }
}

internal sealed unsafe class BufferHandle : TfSafeHandle
{
    private BufferHandle(nint buffer) : base(buffer, true)
    {
    }

    public static BufferHandle Empty() => new((nint)BufferApi.TF_NewBuffer());

    public static BufferHandle FromBytes(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            return new BufferHandle((nint)BufferApi.TF_NewBufferFromString(p, (nuint)bytes.Length));
        }
    }

    public TF_Buffer* Buffer => (TF_Buffer*)handle;

    public byte[] ToArray()
    {
        TF_Buffer* b = Buffer;
        return b->Data is null ? [] : new ReadOnlySpan<byte>(b->Data, checked((int)b->Length)).ToArray();
    }

    protected override bool ReleaseHandle()
    {
        BufferApi.TF_DeleteBuffer((TF_Buffer*)handle);
        return true;
    }
}

internal sealed class SessionOptionsHandle() : TfSafeHandle(SessionApi.TF_NewSessionOptions(), true)
{
    protected override bool ReleaseHandle()
    {
        SessionApi.TF_DeleteSessionOptions(handle);
        return true;
    }
}

internal sealed class SessionHandle : TfSafeHandle
{
    public SessionHandle(nint session) : base(session, true)
    {
    }

    protected override bool ReleaseHandle()
    {
        // Close then delete; a failure here has nowhere to go (ReleaseHandle must not throw).
        nint status = StatusApi.TF_NewStatus();
        SessionApi.TF_CloseSession(handle, status);
        SessionApi.TF_DeleteSession(handle, status);
        StatusApi.TF_DeleteStatus(status);
        return true;
    }
}

internal sealed class TensorHandle : TfSafeHandle
{
    public TensorHandle(nint tensor) : base(tensor, true)
    {
    }

    protected override bool ReleaseHandle()
    {
        TensorApi.TF_DeleteTensor(handle);
        return true;
    }
}

internal sealed class ContextOptionsHandle() : TfSafeHandle(EagerApi.TFE_NewContextOptions(), true)
{
    protected override bool ReleaseHandle()
    {
        EagerApi.TFE_DeleteContextOptions(handle);
        return true;
    }
}

internal sealed class EagerContextHandle : TfSafeHandle
{
    public EagerContextHandle(nint context) : base(context, true)
    {
    }

    protected override bool ReleaseHandle()
    {
        EagerApi.TFE_DeleteContext(handle);
        return true;
    }
}

internal sealed class EagerOpHandle : TfSafeHandle
{
    public EagerOpHandle(nint op) : base(op, true)
    {
    }

    protected override bool ReleaseHandle()
    {
        EagerApi.TFE_DeleteOp(handle);
        return true;
    }
}

internal sealed class EagerTensorHandle : TfSafeHandle
{
    public EagerTensorHandle(nint tensorHandle) : base(tensorHandle, true)
    {
    }

    protected override bool ReleaseHandle()
    {
        EagerApi.TFE_DeleteTensorHandle(handle);
        return true;
    }
}
