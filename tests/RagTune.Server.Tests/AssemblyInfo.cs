// Assembly-wide test settings: one shared server fixture.
[assembly: Xunit.AssemblyFixture(typeof(RagTune.Server.Tests.SharedServer))]
