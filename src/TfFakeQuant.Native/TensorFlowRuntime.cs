using System.Runtime.InteropServices;
using TfFakeQuant.Native.Interop;

namespace TfFakeQuant.Native;

/// <summary>
/// Entry point of the TensorFlow C runtime bridge: finds and loads the TensorFlow C library
/// (TensorFlow 2.16–2.21: SciSharp.TensorFlow.Redist's <c>libtensorflow.so</c>, Google's
/// libtensorflow tarball, or the tensorflow wheel's <c>libtensorflow_cc.so.2</c>).
/// </summary>
/// <remarks>
/// Search order: the default search for the logical name <c>tensorflow</c> (application folder,
/// the host's native search folders from deps.json, then the system loader with <c>libtensorflow.so</c> / <c>tensorflow.dll</c> /
/// <c>libtensorflow.dylib</c>), then the file named by <see cref="LibraryPathVariable"/>, then
/// <c>libtensorflow.so.2</c> and <c>libtensorflow_cc.so.2</c> (<c>.2.dylib</c> on macOS). A file
/// that loads but lacks a required C API symbol is skipped and named in the diagnostics.
/// </remarks>
public static class TensorFlowRuntime
{
    /// <summary>The logical library name TensorFlow.NET loads.</summary>
    public const string LibraryName = "tensorflow";

    /// <summary>Environment variable naming a TensorFlow C library file to use.</summary>
    public const string LibraryPathVariable = "TFFQ_TENSORFLOW_LIBRARY";

    /// <summary>Tries to load the library. Never throws.</summary>
    /// <param name="diagnostics">On success where it was loaded from; otherwise every place tried and why each failed.</param>
    /// <returns>Whether a usable TensorFlow C library is loaded.</returns>
    public static bool TryLoad(out string diagnostics)
    {
        try
        {
            return LibraryResolver.TryLoad(out diagnostics);
        }
#pragma warning disable CA1031 // Documented never to throw.
        catch (Exception e)
#pragma warning restore CA1031
        {
            diagnostics = $"Loading the TensorFlow C library failed: {e.Message}";
            return false;
        }
    }

    /// <summary>Whether a usable TensorFlow C library is (or can now be) loaded.</summary>
    public static bool IsAvailable => TryLoad(out _);

    /// <summary>The loaded library's file, or null when none is loaded.</summary>
    public static string? LibraryPath => LibraryResolver.LoadedPath;

    /// <summary>TensorFlow's version (<c>TF_Version()</c>), for example <c>2.21.0</c>.</summary>
    /// <exception cref="TensorFlowNotAvailableException">No usable library; the message lists every place tried.</exception>
    public static unsafe string Version
    {
        get
        {
            EnsureLoaded();
            return Utf8.Read(VersionApi.TF_Version()) ?? string.Empty;
        }
    }

    /// <summary>Whether the loaded library exports the kernel and op-definition C API (c/kernels.h, c/ops.h) that runtime registration needs.</summary>
    /// <param name="missing">The missing symbols (empty when all are there).</param>
    /// <returns>True when all are exported.</returns>
    /// <exception cref="TensorFlowNotAvailableException">No usable library.</exception>
    public static bool HasKernelApi(out IReadOnlyList<string> missing)
    {
        EnsureLoaded();
        missing = LibraryResolver.MissingSymbols(LibraryResolver.Handle, LibraryResolver.KernelSymbols);
        return missing.Count == 0;
    }

    /// <summary>Whether the loaded library has <c>TF_KernelBuilder_Label</c> (kernels of TensorFlow's own ops under a label).</summary>
    /// <exception cref="TensorFlowNotAvailableException">No usable library.</exception>
    public static bool HasKernelLabels
    {
        get
        {
            EnsureLoaded();
            return NativeLibrary.TryGetExport(LibraryResolver.Handle, LibraryResolver.LabelSymbol, out _);
        }
    }

    /// <summary>Loads the library or throws with the diagnostics.</summary>
    /// <exception cref="TensorFlowNotAvailableException">No usable library.</exception>
    internal static void EnsureLoaded()
    {
        if (!LibraryResolver.TryLoad(out string diagnostics))
        {
            throw new TensorFlowNotAvailableException(diagnostics);
        }
    }
}
