using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace TfFakeQuant.Native;

/// <summary>
/// Finds the TensorFlow C library for the logical name <c>tensorflow</c> (the name TensorFlow.NET
/// loads): the default search first (the application folder and the system loader's search for
/// the platform's usual file names), then the file named by <c>TFFQ_TENSORFLOW_LIBRARY</c>, then
/// the versioned names (<c>libtensorflow.so.2</c>, <c>libtensorflow_cc.so.2</c>, ...). A file that
/// loads but lacks a required C API symbol is rejected with the names of the missing symbols.
/// Nothing here throws; failures become diagnostics that list every place tried.
/// </summary>
internal static class LibraryResolver
{
    /// <summary>The C API entry points every feature of the bridge needs (checked with TryGetExport before first use).</summary>
    internal static readonly string[] RequiredSymbols =
    [
        "TF_Version", "TF_NewStatus", "TF_DeleteStatus", "TF_GetCode", "TF_Message", "TF_SetStatus",
        "TF_NewBufferFromString", "TF_NewBuffer", "TF_DeleteBuffer",
        "TF_NewGraph", "TF_DeleteGraph", "TF_GraphOperationByName", "TF_GraphNextOperation", "TF_GraphGetTensorNumDims",
        "TF_GraphGetTensorShape", "TF_NewImportGraphDefOptions", "TF_DeleteImportGraphDefOptions",
        "TF_ImportGraphDefOptionsSetPrefix", "TF_GraphImportGraphDef", "TF_GraphToGraphDef", "TF_GraphGetOpDef",
        "TF_OperationName", "TF_OperationOpType", "TF_OperationNumOutputs", "TF_OperationNumInputs", "TF_OperationInput", "TF_OperationNumControlInputs", "TF_OperationGetControlInputs",
        "TF_OperationOutputType", "TF_OperationGetAttrInt", "TF_OperationGetAttrFloat", "TF_OperationGetAttrBool",
        "TF_NewOperation", "TF_AddInput", "TF_AddInputList", "TF_SetAttrInt", "TF_SetAttrBool", "TF_SetAttrFloat", "TF_SetAttrType",
        "TF_SetAttrShape", "TF_SetAttrString", "TF_FinishOperation",
        "TF_NewSessionOptions", "TF_DeleteSessionOptions", "TF_NewSession", "TF_SessionRun", "TF_CloseSession", "TF_DeleteSession",
        "TF_AllocateTensor", "TF_NewTensor", "TF_DeleteTensor", "TF_TensorType", "TF_NumDims", "TF_Dim", "TF_TensorByteSize", "TF_TensorData",
        "TFE_NewContextOptions", "TFE_DeleteContextOptions", "TFE_NewContext", "TFE_DeleteContext", "TFE_NewOp", "TFE_DeleteOp",
        "TFE_OpAddInput", "TFE_OpSetAttrInt", "TFE_OpSetAttrBool", "TFE_OpSetAttrFloat", "TFE_Execute", "TFE_NewTensorHandle",
        "TFE_TensorHandleResolve", "TFE_DeleteTensorHandle",
        "TF_AddGradientsWithPrefix",
    ];

    /// <summary>The kernel and op-definition C API (c/kernels.h, c/ops.h) that runtime registration needs.</summary>
    internal static readonly string[] KernelSymbols =
    [
        "TF_NewKernelBuilder", "TF_RegisterKernelBuilder", "TF_DeleteKernelBuilder", "TF_NumInputs", "TF_GetInput",
        "TF_AllocateOutput", "TF_OpKernelContext_Failure", "TF_OpKernelConstruction_Failure",
        "TF_OpKernelConstruction_GetAttrInt32", "TF_OpKernelConstruction_GetAttrInt64", "TF_OpKernelConstruction_GetAttrBool",
        "TF_OpKernelConstruction_GetAttrFloat", "TF_OpKernelConstruction_GetName",
        "TF_NewOpDefinitionBuilder", "TF_RegisterOpDefinition", "TF_DeleteOpDefinitionBuilder", "TF_OpDefinitionBuilderAddAttr",
        "TF_OpDefinitionBuilderAddInput", "TF_OpDefinitionBuilderAddOutput", "TF_OpDefinitionBuilderSetShapeInferenceFunction",
        "TF_NewShapeHandle", "TF_DeleteShapeHandle", "TF_ShapeInferenceContextGetInput", "TF_ShapeInferenceContextSetOutput",
        "TF_ShapeInferenceContextWithRankAtLeast", "TF_ShapeInferenceContextWithRank",
    ];

    /// <summary>Needed only for kernels of TensorFlow's own ops under a label (TF_KernelBuilder_Label).</summary>
    internal const string LabelSymbol = "TF_KernelBuilder_Label";

    private static readonly object Gate = new();
    private static int _registered;
    private static nint _handle;
    private static string? _path;

    /// <summary>The loaded library's file (as given to the loader), or null.</summary>
    internal static string? LoadedPath => _path;

    /// <summary>The loaded library's handle, or zero.</summary>
    internal static nint Handle => _handle;

    /// <summary>Registers the resolver for this assembly once (thread-safe; later calls do nothing).</summary>
    internal static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(LibraryResolver).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // Someone else set a resolver for this assembly; theirs stays in charge.
            }
        }
    }

    /// <summary>Loads (once; a success is cached, a failure is retried next time) and returns whether a usable library is loaded.</summary>
    internal static bool TryLoad(out string diagnostics)
    {
        EnsureRegistered();
        lock (Gate)
        {
            if (_handle != 0)
            {
                diagnostics = $"TensorFlow C library loaded from {_path}.";
                return true;
            }

            ProbeResult result = Probe(Environment.GetEnvironmentVariable(TensorFlowRuntime.LibraryPathVariable), DefaultCandidates(), FallbackCandidates());
            diagnostics = result.Diagnostics;
            if (result.Handle == 0)
            {
                return false;
            }

            _path = result.Path;
            _handle = result.Handle;
            return true;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!string.Equals(libraryName, TensorFlowRuntime.LibraryName, StringComparison.Ordinal))
        {
            return 0;
        }

        try
        {
            return TryLoad(out _) ? _handle : 0;
        }
#pragma warning disable CA1031 // A resolver must never throw: the runtime then reports DllNotFoundException.
        catch (Exception)
#pragma warning restore CA1031
        {
            return 0;
        }
    }

    internal sealed record ProbeResult(nint Handle, string? Path, string Diagnostics);

    /// <summary>
    /// The probe itself, without caching: tries <paramref name="defaults"/>, then
    /// <paramref name="explicitPath"/>, then <paramref name="fallbacks"/>; each file that loads is
    /// checked for <see cref="RequiredSymbols"/> (and freed when it lacks any).
    /// </summary>
    internal static ProbeResult Probe(string? explicitPath, IEnumerable<string> defaults, IEnumerable<string> fallbacks)
    {
        var log = new StringBuilder();
        log.Append("No usable TensorFlow C library was found for the name '").Append(TensorFlowRuntime.LibraryName).AppendLine("'. Tried:");
        IEnumerable<(string? Candidate, string Why)> attempts = defaults.Select(d => ((string?)d, "default search"))
            .Append((string.IsNullOrWhiteSpace(explicitPath) ? null : explicitPath, TensorFlowRuntime.LibraryPathVariable))
            .Concat(fallbacks.Select(f => ((string?)f, "versioned name")));
        foreach ((string? maybe, string why) in attempts)
        {
            if (maybe is not { } candidate)
            {
                log.Append("  (").Append(TensorFlowRuntime.LibraryPathVariable).AppendLine(" is not set)");
                continue;
            }

            nint h;
            if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
            {
                log.Append("  ").Append(candidate).Append(" [").Append(why).AppendLine("]: no such file");
                continue;
            }

            try
            {
                h = NativeLibrary.Load(candidate);
            }
#pragma warning disable CA1031 // Load failures (missing file, missing dependency, wrong architecture) are reported, never thrown.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // The loader's own reason (dlerror / GetLastError), for example a missing libtensorflow_framework.so.2.
                string reason = e.Message.ReplaceLineEndings(" ").Trim();
                int colon = reason.LastIndexOf(": ", StringComparison.Ordinal);
                log.Append("  ").Append(candidate).Append(" [").Append(why).Append("]: not loadable (")
                    .Append(colon >= 0 && reason.Length - colon < 300 ? reason[(colon + 2)..] : reason).AppendLine(")");
                continue;
            }

            List<string> missing = MissingSymbols(h, RequiredSymbols);
            if (missing.Count == 0)
            {
                return new ProbeResult(h, candidate, $"TensorFlow C library loaded from {candidate} [{why}].");
            }

            log.Append("  ").Append(candidate).Append(" [").Append(why).Append("]: loaded, but it is not a TensorFlow C library: ")
                .Append(missing.Count).Append(" of ").Append(RequiredSymbols.Length).Append(" required symbols are missing (")
                .Append(string.Join(", ", missing.Take(6))).Append(missing.Count > 6 ? ", ..." : string.Empty).AppendLine(")");
            NativeLibrary.Free(h);
        }

        log.Append("Set ").Append(TensorFlowRuntime.LibraryPathVariable)
            .Append(" to the full path of libtensorflow.so (SciSharp.TensorFlow.Redist, Google's libtensorflow tarball) or of the ")
            .Append("tensorflow wheel's libtensorflow_cc.so.2 (with libtensorflow_framework.so.2 beside it).");
        return new ProbeResult(0, null, log.ToString());
    }

    /// <summary>Which of <paramref name="symbols"/> the library lacks.</summary>
    internal static List<string> MissingSymbols(nint library, IEnumerable<string> symbols) =>
        symbols.Where(s => !NativeLibrary.TryGetExport(library, s, out _)).ToList();

    /// <summary>The platform's usual file names for "tensorflow": in the application folder, the host's native search folders, then through the system loader.</summary>
    internal static IEnumerable<string> DefaultCandidates()
    {
        string[] names = OperatingSystem.IsWindows() ? ["tensorflow.dll"]
            : OperatingSystem.IsMacOS() ? ["libtensorflow.dylib", "tensorflow.dylib"]
            : ["libtensorflow.so", "tensorflow.so"];
        // The folders the runtime's own probing uses: the application folder, then the host's
        // NATIVE_DLL_SEARCH_DIRECTORIES (deps.json native assets, e.g. SciSharp.TensorFlow.Redist's
        // runtimes/<rid>/native), then the system loader's search by bare name.
        var dirs = new List<string> { AppContext.BaseDirectory };
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirs)
        {
            foreach (string d in searchDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!dirs.Any(x => string.Equals(Path.TrimEndingDirectorySeparator(x), Path.TrimEndingDirectorySeparator(d), StringComparison.Ordinal)))
                {
                    dirs.Add(d);
                }
            }
        }

        foreach (string dir in dirs)
        {
            foreach (string n in names)
            {
                yield return Path.Combine(dir, n);
            }
        }

        foreach (string n in names)
        {
            yield return n;
        }
    }

    /// <summary>Versioned names: Google's C library and the tensorflow wheel's C++ library (which exports the C API).</summary>
    internal static IEnumerable<string> FallbackCandidates()
    {
        string[] names = OperatingSystem.IsWindows() ? ["tensorflow_cc.dll"]
            : OperatingSystem.IsMacOS() ? ["libtensorflow.2.dylib", "libtensorflow_cc.2.dylib"]
            : ["libtensorflow.so.2", "libtensorflow_cc.so.2"];
        string baseDir = AppContext.BaseDirectory;
        foreach (string n in names)
        {
            yield return Path.Combine(baseDir, n);
            yield return n;
        }
    }
}
