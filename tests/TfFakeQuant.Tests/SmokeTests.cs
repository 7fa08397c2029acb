namespace TfFakeQuant.Tests;

public class SmokeTests
{
    [Test]
    public void Runs() => Assert.That(1 + 1, Is.EqualTo(2));
}
