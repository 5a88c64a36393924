// Encoding detection: BOMs, strict UTF-8, BOM-less UTF-16, GB18030, and binary rejection.
using Xunit;
using System.Text;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Tests.Text;

public sealed class TextDecoderTests
{
    private const string Sample = "知识库 knowledge base：检索增强生成。";

    static TextDecoderTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    [Fact]
    public void Utf8WithoutBom()
    {
        var decoded = TextDecoder.Decode(Encoding.UTF8.GetBytes(Sample), "a.txt");
        Assert.Equal(Sample, decoded.Text);
        Assert.Equal("UTF-8", decoded.EncodingName);
    }

    [Theory]
    [InlineData("UTF-8")]
    [InlineData("UTF-16LE")]
    [InlineData("UTF-16BE")]
    [InlineData("UTF-32LE")]
    [InlineData("UTF-32BE")]
    public void ByteOrderMarksSelectTheEncodingAndAreStripped(string name)
    {
        Encoding encoding = name switch
        {
            "UTF-8" => new UTF8Encoding(true),
            "UTF-16LE" => new UnicodeEncoding(false, true),
            "UTF-16BE" => new UnicodeEncoding(true, true),
            "UTF-32LE" => new UTF32Encoding(false, true),
            _ => new UTF32Encoding(true, true),
        };
        var bytes = encoding.GetPreamble().Concat(encoding.GetBytes(Sample)).ToArray();
        var decoded = TextDecoder.Decode(bytes, "a.txt");
        Assert.Equal(Sample, decoded.Text);
        Assert.Equal(name, decoded.EncodingName);
    }

    [Fact]
    public void Utf16WithoutBomIsRecognisedByItsNulPattern()
    {
        const string text = "Plain ASCII-heavy text, 中文 too.\nSecond line.";
        Assert.Equal(text, TextDecoder.Decode(Encoding.Unicode.GetBytes(text), "le.txt").Text);
        var be = TextDecoder.Decode(Encoding.BigEndianUnicode.GetBytes(text), "be.txt");
        Assert.Equal(text, be.Text);
        Assert.Equal("UTF-16BE", be.EncodingName);
    }

    [Fact]
    public void Gb18030IsTheFallbackForChineseThatIsNotUtf8()
    {
        var gb = Encoding.GetEncoding("GB18030").GetBytes(Sample);
        Assert.Throws<DecoderFallbackException>(() => new UTF8Encoding(false, true).GetString(gb));
        var decoded = TextDecoder.Decode(gb, "gb.txt");
        Assert.Equal(Sample, decoded.Text);
        Assert.Equal("GB18030", decoded.EncodingName);
    }

    [Fact]
    public void BinaryContentIsRejectedNamingTheFile()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x06];
        var e = Assert.Throws<KnowledgeException>(() => TextDecoder.Decode(png, "img/logo.txt"));
        Assert.Contains("'img/logo.txt'", e.Message);
        Assert.Contains("binary file, not text", e.Message);
    }

    [Fact]
    public void ControlCharacterSoupIsBinaryEvenWithoutNuls()
    {
        var bytes = Enumerable.Range(0, 400).Select(i => (byte)(i % 2 == 0 ? 0x01 + i % 7 : 'a')).ToArray();
        var e = Assert.Throws<KnowledgeException>(() => TextDecoder.Decode(bytes, "x.txt"));
        Assert.Contains("binary file, not text", e.Message);
    }

    [Fact]
    public void BytesValidInNoSupportedEncodingAreAnError()
    {
        // 0xFF is never valid in UTF-8 and is not a GB18030 lead byte.
        byte[] bytes = [(byte)'o', (byte)'k', 0xFF, 0xFF, (byte)'!'];
        var e = Assert.Throws<KnowledgeException>(() => TextDecoder.Decode(bytes, "bad.txt"));
        Assert.Contains("'bad.txt'", e.Message);
        Assert.Contains("GB18030", e.Message);
    }

    [Fact]
    public void EmptyFileIsEmptyText() => Assert.Equal("", TextDecoder.Decode([], "empty.txt").Text);
}
