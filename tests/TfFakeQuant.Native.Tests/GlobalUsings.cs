global using NUnit.Framework;
global using TfFakeQuant.Ops;
global using TfFakeQuant.Tests.Parity;
