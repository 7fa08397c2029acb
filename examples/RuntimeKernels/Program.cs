Console.WriteLine("RuntimeKernels: see the runtime registration issue.");
