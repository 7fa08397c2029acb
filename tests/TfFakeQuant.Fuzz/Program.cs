Console.WriteLine("0 calls, 0 crashes");
