using BenchmarkDotNet.Running;
using TfFakeQuant.Benchmarks;

if (args.Contains("--jit-check"))
{
    return JitCheck.Run(args);
}

if (args.Contains("--quick"))
{
    return QuickMode.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(QuickMode).Assembly).Run(args);
return 0;
