// How a site connects: TLS trusting only the given CA (and refusing a server signed by another), float16 tensors on the
// wire, ReconnectIns with a delay (the site joins again), and EvaluateIns without held-out data refused by status.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;
using RagTune.Federated.Sites;

namespace RagTune.Federated.Tests.Sites;

public sealed class FederatedSiteConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-site-conn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FederatedSiteOptions Options(string server)
    {
        string data = Path.Combine(_dir, "train.jsonl");
        File.WriteAllText(data, """{"messages":[{"role":"user","content":"Where is the red door?"},{"role":"assistant","content":"north"}]}""" + "\n");
        return new FederatedSiteOptions
        {
            Server = server,
            Training = new SftTrainingOptions
            {
                ModelPath = Path.Combine(AppContext.BaseDirectory, "TestData", "models", "qwen2-tiny"), DataPath = data,
                OutputDirectory = Path.Combine(_dir, "work"), MaxSteps = 1, MaxLength = 256, Lora = new LoraOptions { Rank = 2, Alpha = 4 },
            },
        };
    }

    /// <summary>A CA and a server certificate for localhost signed by it; the CA's PEM is written to <paramref name="caPem"/>.</summary>
    private static X509Certificate2 ServerCertificate(string caPem, string name)
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN={name} test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        File.WriteAllText(caPem, ca.ExportCertificatePem());

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6), [1, 2, 3, 4, 5, 6, 7, 8]);
        using var withKey = signed.CopyWithPrivateKey(key);
        // Kestrel on Linux wants a key it can use after the RSA object is gone: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    [Fact]
    public async Task A_site_speaks_TLS_to_a_server_its_CA_signed_and_refuses_one_it_did_not()
    {
        string ca = Path.Combine(_dir, "ca.pem"), otherCa = Path.Combine(_dir, "other-ca.pem");
        using var certificate = ServerCertificate(ca, "site");
        using var _ = ServerCertificate(otherCa, "other");
        await using var server = await FakeFlowerServer.StartAsync(certificate);

        using (var site = new FederatedSite(Options(server.Address) with { TlsCaFile = ca, SiteKey = "over-tls" }))
        {
            var run = site.RunAsync(Ct);
            var parameters = (await server.AskAsync(new ServerMessage { GetParametersIns = new() }, run, Ct)).GetParametersRes;
            Assert.Equal(Code.Ok, parameters.Status.Code);
            await server.AskAsync(new ServerMessage { ReconnectIns = new() }, run, Ct);
            await run.WaitAsync(TimeSpan.FromMinutes(1), Ct);
            Assert.Equal(["over-tls"], server.SiteKeys);
        }

        using var stranger = new FederatedSite(Options(server.Address) with { TlsCaFile = otherCa });
        var ex = await Assert.ThrowsAsync<FederatedException>(() => stranger.RunAsync(Ct).WaitAsync(TimeSpan.FromMinutes(1), Ct));
        Assert.StartsWith($"{server.Address}: the Flower stream failed (", ex.Message);
        Assert.Contains("SSL", ex.Message);
        Assert.Single(server.SiteKeys);
    }

    [Fact]
    public async Task A_float16_site_rejoins_after_the_delay_ReconnectIns_gives_and_refuses_evaluation_without_held_out_data()
    {
        await using var server = await FakeFlowerServer.StartAsync();
        using var site = new FederatedSite(Options(server.Address) with { WireDtype = NpyDtype.Float16 });
        var run = site.RunAsync(Ct);

        var first = (await server.AskAsync(new ServerMessage { GetParametersIns = new() }, run, Ct)).GetParametersRes.Parameters;
        Assert.All(first.Tensors, t => Assert.Equal(NpyDtype.Float16, NpyFormat.Read(t.Span, "t").Dtype));
        var bye = await server.AskAsync(new ServerMessage { ReconnectIns = new() { Seconds = 1 } }, run, Ct);
        Assert.Equal(Reason.Reconnect, bye.DisconnectRes.Reason);

        // The next instruction reaches the site on its second Join.
        var fit = (await server.AskAsync(new ServerMessage { FitIns = new() { Parameters = first } }, run, Ct)).FitRes;
        Assert.True(fit.Status.Code == Code.Ok, fit.Status.Message);
        Assert.All(fit.Parameters.Tensors, t => Assert.Equal(NpyDtype.Float16, NpyFormat.Read(t.Span, "t").Dtype));
        Assert.Equal(2, server.SiteKeys.Count);

        var evaluate = (await server.AskAsync(new ServerMessage { EvaluateIns = new() { Parameters = fit.Parameters } }, run, Ct)).EvaluateRes;
        Assert.Equal(Code.EvaluateNotImplemented, evaluate.Status.Code);
        Assert.Equal("round 1: EvaluateIns: this site has no held-out data (give it an evaluation file, --eval)", evaluate.Status.Message);

        await server.AskAsync(new ServerMessage { ReconnectIns = new() }, run, Ct);
        var result = await run.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        Assert.Equal((1, 0, 1), (result.FitRounds, result.EvaluateRounds, result.RefusedMessages));
    }
}
