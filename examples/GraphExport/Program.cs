Console.WriteLine("GraphExport: see the graph-mode issue.");
