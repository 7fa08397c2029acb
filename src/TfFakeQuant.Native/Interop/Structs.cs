using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

// Layouts transcribed from tensorflow/c/c_api.h, c/tf_tensor.h and c/tf_buffer.h (TF 2.16-2.21).
// Every struct here is blittable; the layout tests check their sizes and field offsets.

/// <summary><c>typedef struct TF_Output { TF_Operation* oper; int index; } TF_Output;</c> (16 bytes on 64-bit).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TF_Output
{
    public nint Oper;
    public int Index;

    public TF_Output(nint oper, int index)
    {
        Oper = oper;
        Index = index;
    }
}

/// <summary><c>typedef struct TF_Input { TF_Operation* oper; int index; } TF_Input;</c> (same layout as TF_Output).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TF_Input
{
    public nint Oper;
    public int Index;

    public TF_Input(nint oper, int index)
    {
        Oper = oper;
        Index = index;
    }
}

/// <summary><c>typedef struct TF_Buffer { const void* data; size_t length; void (*data_deallocator)(void*, size_t); } TF_Buffer;</c></summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TF_Buffer
{
    public void* Data;
    public nuint Length;
    public delegate* unmanaged<void*, nuint, void> DataDeallocator;
}

/// <summary><c>typedef struct TF_StringView { const char* data; size_t len; } TF_StringView;</c> (tf_tstring.h / kernels.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TF_StringView
{
    public byte* Data;
    public nuint Len;

    public override readonly string ToString() => Data is null ? string.Empty : System.Text.Encoding.UTF8.GetString(Data, checked((int)Len));
}

/// <summary>
/// <c>TF_DataType</c> (tf_datatype.h): an <c>enum</c>, passed as a 32-bit int. Only the values this
/// bridge uses are named; the numbers are those of <c>types.proto</c>.
/// </summary>
internal enum TF_DataType
{
    TF_FLOAT = 1,
    TF_DOUBLE = 2,
    TF_INT32 = 3,
    TF_UINT8 = 4,
    TF_STRING = 7,
    TF_INT64 = 9,
    TF_BOOL = 10,
}
