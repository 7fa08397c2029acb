using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace TfFakeQuant.Tests.Parity;

/// <summary>
/// A reader for NumPy <c>.npy</c> files holding little-endian float32 arrays in C order — the
/// only kind the recorded cases contain. Anything else is rejected with a clear message.
/// </summary>
public static class Npy
{
    /// <summary>Reads a float32 array and its shape.</summary>
    public static (long[] Shape, float[] Data) ReadFloat32(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(magic))
        {
            throw new InvalidDataException($"{path}: not an .npy file");
        }

        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else
        {
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            headerStart = 12;
        }

        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        string descr = Field(header, "descr");
        if (descr is not "'<f4'" and not "'float32'")
        {
            throw new InvalidDataException($"{path}: dtype {descr} is not little-endian float32");
        }

        if (Field(header, "fortran_order") != "False")
        {
            throw new InvalidDataException($"{path}: Fortran order is not supported");
        }

        string shapeText = Field(header, "shape").Trim('(', ')');
        long[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (a, b) => checked(a * b));
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * 4)
        {
            throw new InvalidDataException($"{path}: {bytes.Length - dataStart} data bytes for {count} floats");
        }

        var data = new float[count];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + 4 * i));
        }

        return (shape, data);
    }

    private static string Field(string header, string key)
    {
        int at = header.IndexOf($"'{key}':", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidDataException($"npy header has no {key}: {header}");
        }

        int start = at + key.Length + 3;
        while (header[start] == ' ')
        {
            start++;
        }

        int end = header[start] == '(' ? header.IndexOf(')', start) + 1 : header.IndexOfAny([',', '}'], start);
        return header[start..end].Trim();
    }
}
