// The aggregator's own endpoint security (Flower's server has none on this protocol): a per-site key in the request
// metadata, and TLS with a certificate the test makes itself.
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using RagTune.Federated.Aggregation;
using RagTune.Federated.Flower;
using static RagTune.Federated.Tests.Aggregation.AggregatorFixture;

namespace RagTune.Federated.Tests.Aggregation;

public sealed class AggregatorSecurityTests
{
    private const string KeyA = "a-0123456789abcdef-secret", KeyB = "b-fedcba9876543210-secret";

    private static string KeysFile(string dir)
    {
        string path = Path.Combine(dir, "sites.keys");
        File.WriteAllLines(path, ["# site keys", "hospital-a " + KeyA, "", "hospital-b\t" + KeyB]);
        return path;
    }

    private static FedAvgAggregatorOptions Keyed(string dir) => new()
    {
        OutputDirectory = Path.Combine(dir, "out"), Listen = "127.0.0.1:0", MinAvailableClients = 1, MinFitClients = 1, SiteKeysFile = KeysFile(dir),
    };

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-key-of-any-site")]
    public async Task A_missing_or_wrong_site_key_is_refused_unauthenticated_and_the_answer_names_no_secret(string? key)
    {
        string dir = TempDirectory();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var aggregator = new FedAvgAggregator(Keyed(dir));
        await aggregator.StartAsync(timeout.Token);
        await using var intruder = FakeSite.Join("intruder", aggregator.ListenAddress!, (_, _) => Task.FromResult<ClientMessage?>(null), key);
        var refused = await intruder.Loop.WaitAsync(timeout.Token);
        Assert.Equal(StatusCode.Unauthenticated, refused!.StatusCode);
        foreach (string secret in new[] { KeyA, KeyB, "hospital-a", "hospital-b" }) Assert.DoesNotContain(secret, refused.Status.Detail);
        if (key is not null) Assert.DoesNotContain(key, refused.Status.Detail);
        Assert.Empty(aggregator.ConnectedSites);

        // The right key is admitted under its site's name.
        await using var site = FakeSite.Join("a", aggregator.ListenAddress!, (_, _) => Task.FromResult<ClientMessage?>(null), KeyA);
        while (aggregator.ConnectedSites.Count == 0) await Task.Delay(20, timeout.Token);
        Assert.Equal(["hospital-a"], aggregator.ConnectedSites);
    }

    [Fact]
    public async Task A_site_that_connects_again_replaces_its_earlier_connection()
    {
        string dir = TempDirectory();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var aggregator = new FedAvgAggregator(Keyed(dir));
        await aggregator.StartAsync(timeout.Token);
        await using var first = FakeSite.Join("a", aggregator.ListenAddress!, (_, _) => Task.FromResult<ClientMessage?>(null), KeyA);
        while (aggregator.ConnectedSites.Count == 0) await Task.Delay(20, timeout.Token);
        await using var again = FakeSite.Join("a", aggregator.ListenAddress!, (_, _) => Task.FromResult<ClientMessage?>(null), KeyA);

        var replaced = await first.Loop.WaitAsync(timeout.Token);
        Assert.Equal(StatusCode.Aborted, replaced!.StatusCode);
        Assert.Equal(["hospital-a"], aggregator.ConnectedSites);
        Assert.False(again.Loop.IsCompleted);
    }

    [Fact]
    public async Task A_round_runs_end_to_end_over_TLS_with_keyed_sites()
    {
        string dir = TempDirectory(), init = WriteAdapter(Path.Combine(dir, "init"), seed: 12);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string certPem = Path.Combine(dir, "server.crt"), keyPem = Path.Combine(dir, "server.key");
        File.WriteAllText(certPem, certificate.ExportCertificatePem());
        File.WriteAllText(keyPem, rsa.ExportPkcs8PrivateKeyPem());

        var codec = Codec(init);
        var options = new FedAvgAggregatorOptions
        {
            OutputDirectory = Path.Combine(dir, "out"), Listen = "127.0.0.1:0", Rounds = 1, MinAvailableClients = 2, MinFitClients = 2,
            InitialAdapter = init, RoundTimeout = TimeSpan.FromSeconds(20), SiteKeysFile = KeysFile(dir), TlsCertificateFile = certPem, TlsKeyFile = keyPem,
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var aggregator = new FedAvgAggregator(options);
        await aggregator.StartAsync(timeout.Token);
        Assert.StartsWith("https://", aggregator.ListenAddress);

        // The sites trust exactly this certificate (pinned), as a site given the aggregator's CA file would.
        HttpMessageHandler Pinned() => new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.Thumbprint,
            },
        };
        Func<ServerMessage, CancellationToken, Task<ClientMessage?>> Answer(int i) => (ins, _) => Task.FromResult<ClientMessage?>(
            ins.MsgCase == ServerMessage.MsgOneofCase.FitIns
                ? FitRes(Trained(codec.Decode(ins.FitIns.Parameters, "FitIns"), i, 1), codec.Shapes, 2 + i, 0.5)
                : EvaluateRes(0.25f, 4, 0.5));
        await using var a = FakeSite.Join("a", aggregator.ListenAddress!, Answer(0), KeyA, Pinned());
        await using var b = FakeSite.Join("b", aggregator.ListenAddress!, Answer(1), KeyB, Pinned());

        var history = await aggregator.RunAsync(timeout.Token);

        Assert.Equal(["hospital-a", "hospital-b"], history.Rounds.Single().Fit.Sites);
        var initial = ReadValues(init);
        Assert.Equal(WeightedAverage([(Trained(initial, 0, 1), 2), (Trained(initial, 1, 1), 3)]), ReadValues(Path.Combine(dir, "out", "adapter")));
    }

    [Fact]
    public async Task An_address_beyond_loopback_needs_keys_and_TLS_unless_insecure()
    {
        string dir = TempDirectory();
        var options = new FedAvgAggregatorOptions { OutputDirectory = dir, Listen = "0.0.0.0:0", MinAvailableClients = 1, MinFitClients = 1 };
        await using var aggregator = new FedAvgAggregator(options);
        var error = await Assert.ThrowsAsync<FederatedException>(() => aggregator.StartAsync());
        Assert.StartsWith("fed serve: 0.0.0.0:0 is reachable beyond this machine, so it needs site keys (--keys) and TLS", error.Message);
    }

    [Theory]
    [InlineData(new[] { "hospital-a" }, "sites.keys:1: found 1 fields; expected 'SITE-NAME KEY'")]
    [InlineData(new[] { "hospital-a short" }, "sites.keys:1: the key of site 'hospital-a' has 5 characters; expected at least 16")]
    [InlineData(new[] { "a " + KeyA, "# c", "a " + KeyB }, "sites.keys:3: site 'a' is listed twice; expected one line per site")]
    [InlineData(new[] { "a " + KeyA, "b " + KeyA }, "sites.keys:2: site 'b' has the same key as an earlier site; expected a key per site")]
    [InlineData(new[] { "# nothing" }, "sites.keys: no site keys; expected lines 'SITE-NAME KEY'")]
    public void A_bad_keys_file_is_one_error_naming_the_line(string[] lines, string expected)
    {
        var error = Assert.Throws<FederatedException>(() => SiteKeys.Parse(lines, "sites.keys"));
        Assert.Equal(expected, error.Message);
    }
}
