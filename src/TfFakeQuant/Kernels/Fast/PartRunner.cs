namespace TfFakeQuant.Kernels.Fast;

/// <summary>
/// Runs the parts of a <see cref="KernelRun"/>: parts 1..n-1 on thread-pool threads through
/// pooled work items (no closures, no per-call allocation once warm), part 0 on the calling
/// thread, then waits for the others. The caller's memory stays pinned (or on its stack) until
/// every part is done.
/// </summary>
internal static class PartRunner
{
    private static readonly Stack<Batch> Pool = new();

    public static void Run(in KernelRun run, int maxParts)
    {
        int parts = run.PartsFor(maxParts);
        if (parts == 1)
        {
            run.RunPart(0, 1);
            return;
        }

        Batch batch = Rent(parts);
        batch.Start(run, parts);
        for (int p = 1; p < parts; p++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(batch.Items[p], preferLocal: false);
        }

        try
        {
            run.RunPart(0, parts);
        }
        finally
        {
            batch.Wait();
            Return(batch);
        }
    }

    private static Batch Rent(int parts)
    {
        lock (Pool)
        {
            while (Pool.Count > 0)
            {
                Batch b = Pool.Pop();
                if (b.Items.Length >= parts)
                {
                    return b;
                }
            }
        }

        return new Batch(Math.Max(parts, Environment.ProcessorCount));
    }

    private static void Return(Batch batch)
    {
        lock (Pool)
        {
            if (Pool.Count < 16)
            {
                Pool.Push(batch);
            }
        }
    }

    /// <summary>The reusable state of one parallel call.</summary>
    private sealed class Batch : IDisposable
    {
        private readonly ManualResetEventSlim _done = new(false);
        private int _pending;

        public Batch(int capacity)
        {
            Items = new Item[capacity];
            for (int i = 0; i < capacity; i++)
            {
                Items[i] = new Item(this, i);
            }
        }

        public Item[] Items { get; }

        public KernelRun Run { get; private set; }

        public int Parts { get; private set; }

        public void Start(in KernelRun run, int parts)
        {
            Run = run;
            Parts = parts;
            _pending = parts - 1;
            _done.Reset();
        }

        public void Signal()
        {
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.Set();
            }
        }

        public void Wait() => _done.Wait();

        /// <summary>Pooled batches live for the process; this exists for completeness.</summary>
        public void Dispose() => _done.Dispose();
    }

    /// <summary>One pooled work item: runs its part of the batch's call.</summary>
    private sealed class Item(Batch batch, int part) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            try
            {
                batch.Run.RunPart(part, batch.Parts);
            }
            finally
            {
                batch.Signal();
            }
        }
    }
}
