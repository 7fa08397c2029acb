using System.Reflection;
using System.Runtime.InteropServices;
using TfFakeQuant.Native.Interop;

namespace TfFakeQuant.Native.Tests;

/// <summary>
/// Every declared entry point against a table transcribed from TensorFlow's C headers
/// (c_api.h, c/eager/c_api.h, c/kernels.h, c/ops.h, c/tf_tensor.h, c/tf_status.h, c/tf_buffer.h):
/// return type and each parameter, in a notation where <c>ptr</c> is an opaque object pointer,
/// <c>u8*</c> a <c>const char*</c> / <c>unsigned char*</c>, <c>i64</c> an <c>int64_t</c>,
/// <c>size</c> a <c>size_t</c>, <c>u8</c> an <c>unsigned char</c> (booleans), <c>i32</c> an
/// <c>int</c> or C enum, and <c>fn:R(A,B)</c> a C function pointer.
/// </summary>
[TestFixture]
[Category("Native")]
public class SignatureTests
{
    internal static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        // tf_status.h
        ["TF_NewStatus"] = "ptr()",
        ["TF_DeleteStatus"] = "void(ptr)",
        ["TF_GetCode"] = "i32(ptr)",
        ["TF_Message"] = "u8*(ptr)",
        ["TF_SetStatus"] = "void(ptr,i32,u8*)",
        // c_api.h
        ["TF_Version"] = "u8*()",
        ["TF_NewBufferFromString"] = "TF_Buffer*(void*,size)",
        ["TF_NewBuffer"] = "TF_Buffer*()",
        ["TF_DeleteBuffer"] = "void(TF_Buffer*)",
        ["TF_NewGraph"] = "ptr()",
        ["TF_DeleteGraph"] = "void(ptr)",
        ["TF_GraphOperationByName"] = "ptr(ptr,u8*)",
        ["TF_GraphNextOperation"] = "ptr(ptr,size*)",
        ["TF_GraphGetTensorNumDims"] = "i32(ptr,TF_Output,ptr)",
        ["TF_GraphGetTensorShape"] = "void(ptr,TF_Output,i64*,i32,ptr)",
        ["TF_NewImportGraphDefOptions"] = "ptr()",
        ["TF_DeleteImportGraphDefOptions"] = "void(ptr)",
        ["TF_ImportGraphDefOptionsSetPrefix"] = "void(ptr,u8*)",
        ["TF_GraphImportGraphDef"] = "void(ptr,TF_Buffer*,ptr,ptr)",
        ["TF_GraphToGraphDef"] = "void(ptr,TF_Buffer*,ptr)",
        ["TF_GraphGetOpDef"] = "void(ptr,u8*,TF_Buffer*,ptr)",
        ["TF_OperationName"] = "u8*(ptr)",
        ["TF_OperationOpType"] = "u8*(ptr)",
        ["TF_OperationNumOutputs"] = "i32(ptr)",
        ["TF_OperationNumInputs"] = "i32(ptr)",
        ["TF_OperationNumControlInputs"] = "i32(ptr)",
        ["TF_OperationGetControlInputs"] = "i32(ptr,ptr*,i32)",
        ["TF_OperationInput"] = "TF_Output(TF_Input)",
        ["TF_OperationOutputType"] = "i32(TF_Output)",
        ["TF_OperationGetAttrInt"] = "void(ptr,u8*,i64*,ptr)",
        ["TF_OperationGetAttrFloat"] = "void(ptr,u8*,f32*,ptr)",
        ["TF_OperationGetAttrBool"] = "void(ptr,u8*,u8*,ptr)",
        ["TF_NewOperation"] = "ptr(ptr,u8*,u8*)",
        ["TF_AddInput"] = "void(ptr,TF_Output)",
        ["TF_AddInputList"] = "void(ptr,TF_Output*,i32)",
        ["TF_SetAttrInt"] = "void(ptr,u8*,i64)",
        ["TF_SetAttrBool"] = "void(ptr,u8*,u8)",
        ["TF_SetAttrFloat"] = "void(ptr,u8*,f32)",
        ["TF_SetAttrType"] = "void(ptr,u8*,i32)",
        ["TF_SetAttrShape"] = "void(ptr,u8*,i64*,i32)",
        ["TF_SetAttrString"] = "void(ptr,u8*,void*,size)",
        ["TF_FinishOperation"] = "ptr(ptr,ptr)",
        ["TF_NewSessionOptions"] = "ptr()",
        ["TF_DeleteSessionOptions"] = "void(ptr)",
        ["TF_NewSession"] = "ptr(ptr,ptr,ptr)",
        ["TF_SessionRun"] = "void(ptr,TF_Buffer*,TF_Output*,ptr*,i32,TF_Output*,ptr*,i32,ptr*,i32,TF_Buffer*,ptr)",
        ["TF_CloseSession"] = "void(ptr,ptr)",
        ["TF_DeleteSession"] = "void(ptr,ptr)",
        ["TF_AddGradientsWithPrefix"] = "void(ptr,u8*,TF_Output*,i32,TF_Output*,i32,TF_Output*,ptr,TF_Output*)",
        // tf_tensor.h
        ["TF_AllocateTensor"] = "ptr(i32,i64*,i32,size)",
        ["TF_NewTensor"] = "ptr(i32,i64*,i32,void*,size,fn:void(void*,size,void*),void*)",
        ["TF_DeleteTensor"] = "void(ptr)",
        ["TF_TensorType"] = "i32(ptr)",
        ["TF_NumDims"] = "i32(ptr)",
        ["TF_Dim"] = "i64(ptr,i32)",
        ["TF_TensorByteSize"] = "size(ptr)",
        ["TF_TensorData"] = "void*(ptr)",
        // eager/c_api.h
        ["TFE_NewContextOptions"] = "ptr()",
        ["TFE_DeleteContextOptions"] = "void(ptr)",
        ["TFE_NewContext"] = "ptr(ptr,ptr)",
        ["TFE_DeleteContext"] = "void(ptr)",
        ["TFE_NewOp"] = "ptr(ptr,u8*,ptr)",
        ["TFE_DeleteOp"] = "void(ptr)",
        ["TFE_OpAddInput"] = "void(ptr,ptr,ptr)",
        ["TFE_OpSetAttrInt"] = "void(ptr,u8*,i64)",
        ["TFE_OpSetAttrBool"] = "void(ptr,u8*,u8)",
        ["TFE_OpSetAttrFloat"] = "void(ptr,u8*,f32)",
        ["TFE_Execute"] = "void(ptr,ptr*,i32*,ptr)",
        ["TFE_NewTensorHandle"] = "ptr(ptr,ptr)",
        ["TFE_TensorHandleResolve"] = "ptr(ptr,ptr)",
        ["TFE_DeleteTensorHandle"] = "void(ptr)",
        // kernels.h (TF_Bool is unsigned char)
        ["TF_NewKernelBuilder"] = "ptr(u8*,u8*,fn:void*(ptr),fn:void(void*,ptr),fn:void(void*))",
        ["TF_KernelBuilder_Label"] = "void(ptr,u8*)",
        ["TF_RegisterKernelBuilder"] = "void(u8*,ptr,ptr)",
        ["TF_DeleteKernelBuilder"] = "void(ptr)",
        ["TF_NumInputs"] = "i32(ptr)",
        ["TF_GetInput"] = "void(ptr,i32,ptr*,ptr)",
        ["TF_AllocateOutput"] = "ptr(ptr,i32,i32,i64*,i32,size,ptr)",
        ["TF_OpKernelContext_Failure"] = "void(ptr,ptr)",
        ["TF_OpKernelConstruction_Failure"] = "void(ptr,ptr)",
        ["TF_OpKernelConstruction_GetAttrInt32"] = "void(ptr,u8*,i32*,ptr)",
        ["TF_OpKernelConstruction_GetAttrInt64"] = "void(ptr,u8*,i64*,ptr)",
        ["TF_OpKernelConstruction_GetAttrBool"] = "void(ptr,u8*,u8*,ptr)",
        ["TF_OpKernelConstruction_GetAttrFloat"] = "void(ptr,u8*,f32*,ptr)",
        ["TF_OpKernelConstruction_GetName"] = "TF_StringView(ptr)",
        // ops.h
        ["TF_NewOpDefinitionBuilder"] = "ptr(u8*)",
        ["TF_RegisterOpDefinition"] = "void(ptr,ptr)",
        ["TF_DeleteOpDefinitionBuilder"] = "void(ptr)",
        ["TF_OpDefinitionBuilderAddAttr"] = "void(ptr,u8*)",
        ["TF_OpDefinitionBuilderAddInput"] = "void(ptr,u8*)",
        ["TF_OpDefinitionBuilderAddOutput"] = "void(ptr,u8*)",
        ["TF_OpDefinitionBuilderSetShapeInferenceFunction"] = "void(ptr,fn:void(ptr,ptr))",
        ["TF_NewShapeHandle"] = "ptr()",
        ["TF_DeleteShapeHandle"] = "void(ptr)",
        ["TF_ShapeInferenceContextGetInput"] = "void(ptr,i32,ptr,ptr)",
        ["TF_ShapeInferenceContextSetOutput"] = "void(ptr,i32,ptr,ptr)",
        ["TF_ShapeInferenceContextWithRankAtLeast"] = "void(ptr,ptr,i64,ptr,ptr)",
        ["TF_ShapeInferenceContextWithRank"] = "void(ptr,ptr,i64,ptr,ptr)",
    };

    internal static IEnumerable<MethodInfo> Declared() =>
        typeof(TensorFlowRuntime).Assembly.GetTypes()
            .Where(t => t.Namespace == "TfFakeQuant.Native.Interop")
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null);

    /// <summary>The notation of one type (see the class summary).</summary>
    internal static string Describe(Type t)
    {
        if (t.IsFunctionPointer)
        {
            return $"fn:{Describe(t.GetFunctionPointerReturnType())}({string.Join(",", t.GetFunctionPointerParameterTypes().Select(Describe))})";
        }

        if (t.IsPointer)
        {
            Type e = t.GetElementType()!;
            return e.UnderlyingSystemType == typeof(nint) ? "ptr*" : $"{Describe(e)}*";
        }

        // Modified types (GetModifiedParameterType) compare by their underlying type.
        t = t.UnderlyingSystemType;
        return t switch
        {
            _ when t == typeof(void) => "void",
            _ when t == typeof(nint) => "ptr",
            _ when t == typeof(nuint) => "size",
            _ when t == typeof(int) => "i32",
            _ when t == typeof(long) => "i64",
            _ when t == typeof(byte) => "u8",
            _ when t == typeof(float) => "f32",
            _ when t == typeof(TF_Output) => "TF_Output",
            _ when t == typeof(TF_Input) => "TF_Input",
            _ when t == typeof(TF_Buffer) => "TF_Buffer",
            _ when t == typeof(TF_StringView) => "TF_StringView",
            _ => $"<not blittable: {t}>",
        };
    }

    internal static string Signature(MethodInfo m)
    {
        string ret = Describe(m.ReturnParameter.GetModifiedParameterType());
        IEnumerable<string> ps = m.GetParameters().Select(p => Describe(p.GetModifiedParameterType()));
        return $"{ret}({string.Join(",", ps)})";
    }

    public static IEnumerable<TestCaseData> Entries() => Expected.Select(e => new TestCaseData(e.Key, e.Value).SetName($"Signature({e.Key})"));

    [TestCaseSource(nameof(Entries))]
    public void EntryPointMatchesTheHeader(string name, string expected)
    {
        MethodInfo[] found = Declared().Where(m => (m.GetCustomAttribute<LibraryImportAttribute>()!.EntryPoint ?? m.Name) == name).ToArray();
        Assert.That(found, Has.Length.EqualTo(1), $"{name} must be declared exactly once");
        Assert.That(Signature(found[0]), Is.EqualTo(expected));
    }

    [Test]
    public void EveryDeclarationIsInTheTableAndLoadsTensorFlow()
    {
        MethodInfo[] declared = Declared().ToArray();
        Assert.That(declared, Is.Not.Empty);
        foreach (MethodInfo m in declared)
        {
            LibraryImportAttribute a = m.GetCustomAttribute<LibraryImportAttribute>()!;
            Assert.That(a.LibraryName, Is.EqualTo("tensorflow"), m.Name);
            Assert.That(Expected.ContainsKey(a.EntryPoint ?? m.Name), Is.True, $"{m.Name} has no header signature in the table");
            Assert.That(Signature(m), Does.Not.Contain("not blittable"), m.Name);
        }

        Assert.That(declared.Select(m => m.Name).Distinct().Count(), Is.EqualTo(Expected.Count), "one declaration per table entry");
    }

    [Test]
    public void EveryDeclarationIsCheckedByTheResolverOrTheKernelApiProbe()
    {
        var known = LibraryResolver.RequiredSymbols.Concat(LibraryResolver.KernelSymbols).Append(LibraryResolver.LabelSymbol).ToHashSet();
        Assert.That(Expected.Keys.Where(k => !known.Contains(k)), Is.Empty, "every entry point must be probed with TryGetExport before use");
        Assert.That(known.Where(k => !Expected.ContainsKey(k)), Is.Empty, "every probed symbol must be declared");
    }

    private static readonly Dictionary<string, string> Callbacks = new(StringComparer.Ordinal)
    {
        // kernels.h: void* (*create_func)(TF_OpKernelConstruction*); void (*compute_func)(void*, TF_OpKernelContext*); void (*delete_func)(void*)
        ["CreateArgs"] = "void*(ptr)",
        ["CreateArgsGradient"] = "void*(ptr)",
        ["CreateVars"] = "void*(ptr)",
        ["CreateVarsGradient"] = "void*(ptr)",
        ["CreatePerChannel"] = "void*(ptr)",
        ["CreatePerChannelGradient"] = "void*(ptr)",
        ["CreateAxisForward"] = "void*(ptr)",
        ["CreateAxisGradient"] = "void*(ptr)",
        ["Compute"] = "void(void*,ptr)",
        ["Delete"] = "void(void*)",
        // ops.h: void (*shape_inference_func)(TF_ShapeInferenceContext* ctx, TF_Status* status)
        ["ShapeAxisForward"] = "void(ptr,ptr)",
        ["ShapeAxisGradient"] = "void(ptr,ptr)",
    };

    [Test]
    public void CallbacksMatchTheHeadersFunctionPointerTypes()
    {
        MethodInfo[] callbacks = typeof(NativeKernels).GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
            .Where(m => m.GetCustomAttribute<UnmanagedCallersOnlyAttribute>() is not null).ToArray();
        Assert.That(callbacks.Select(m => m.Name), Is.EquivalentTo(Callbacks.Keys));
        foreach (MethodInfo m in callbacks)
        {
            Assert.That(Signature(m), Is.EqualTo(Callbacks[m.Name]), m.Name);
        }
    }

    [Test]
    public void CallbackSignaturesMatchTheFunctionPointerParameters()
    {
        string builder = Expected["TF_NewKernelBuilder"];
        Assert.That(builder, Does.Contain($"fn:{Callbacks["CreateArgs"]}"));
        Assert.That(builder, Does.Contain($"fn:{Callbacks["Compute"]}"));
        Assert.That(builder, Does.Contain($"fn:{Callbacks["Delete"]})"));
        Assert.That(Expected["TF_OpDefinitionBuilderSetShapeInferenceFunction"], Does.Contain($"fn:{Callbacks["ShapeAxisForward"]}"));
        MethodInfo declared = Declared().Single(m => m.Name == "TF_NewKernelBuilder");
        Assert.That(declared.GetParameters().Skip(2).All(p => p.GetModifiedParameterType().IsUnmanagedFunctionPointer), Is.True,
            "callbacks are passed as unmanaged (C) function pointers");
    }
}
