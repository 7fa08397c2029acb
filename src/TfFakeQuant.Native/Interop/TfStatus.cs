using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>
/// One <c>TF_Status</c> for a sequence of calls. <see cref="ThrowIfError"/> is the single place a
/// non-OK status becomes a <see cref="TensorFlowException"/>; call sites never inspect codes.
/// </summary>
internal sealed unsafe class TfStatus : IDisposable
{
    private readonly StatusHandle _handle = new();

    /// <summary>The raw pointer, valid while this object lives (the caller keeps it alive).</summary>
    public nint Pointer => _handle.DangerousGetHandle();

    public TfCode Code => (TfCode)StatusApi.TF_GetCode(Pointer);

    public string Message => Marshal.PtrToStringUTF8((nint)StatusApi.TF_Message(Pointer)) ?? string.Empty;

    /// <summary>Throws TensorFlow's code and message when the last call failed.</summary>
    /// <param name="stage">The C API step, for example <c>TF_FinishOperation</c> (kept on the exception).</param>
    public void ThrowIfError(string stage)
    {
        int code = StatusApi.TF_GetCode(Pointer);
        if (code != 0)
        {
            Throw(stage, code);
        }

        GC.KeepAlive(this);
    }

    private void Throw(string stage, int code) => throw new TensorFlowException((TfCode)code, Message, stage);

    public void Set(TfCode code, string message)
    {
        fixed (byte* m = Utf8.Z(message))
        {
            StatusApi.TF_SetStatus(Pointer, (int)code, m);
        }
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>NUL-terminated UTF-8 for <c>const char*</c> parameters.</summary>
internal static class Utf8
{
    public static byte[] Z(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    public static unsafe string? Read(byte* p) => p is null ? null : Marshal.PtrToStringUTF8((nint)p);
}

/// <summary>
/// Reads one scalar attr through a C API getter of the shape
/// <c>void getter(owner, const char* attr_name, T* value, TF_Status* status)</c>
/// (<c>TF_OperationGetAttr*</c>, <c>TF_OpKernelConstruction_GetAttr*</c>); a non-OK status throws.
/// </summary>
internal static unsafe class AttrReader
{
    public static T Read<T>(nint owner, string name, delegate*<nint, byte*, T*, nint, void> getter, string call)
        where T : unmanaged
    {
        using var status = new TfStatus();
        T value;
        fixed (byte* n = Utf8.Z(name))
        {
            getter(owner, n, &value, status.Pointer);
        }

        status.ThrowIfError(call);
        return value;
    }
}
