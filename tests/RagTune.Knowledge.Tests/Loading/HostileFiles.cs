// Builders of files made to break loaders: nesting deep enough to overflow a recursive walk and a .docx zip bomb. Shared
// by the loader tests and the CLI's child-process tests (linked source).
using System.IO.Compression;
using System.Text;

namespace RagTune.Knowledge.Tests.Loading;

internal static class HostileFiles
{
    /// <summary>The 360 KB page that overflowed HtmlLoader's recursive render.</summary>
    public static string DeepHtml(int depth = 40_000) => string.Concat(Enumerable.Repeat("<div>", depth)) + "t" + string.Concat(Enumerable.Repeat("</div>", depth));

    /// <summary>A minimal .docx (content types, package relationship, word/document.xml) written with the zip library
    /// itself, so that building it never walks a DOM; <paramref name="body"/> is the inside of w:body.</summary>
    public static byte[] Docx(string body, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string xml)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name, level).Open(), new UTF8Encoding(false));
                writer.Write(xml);
            }
            Add("[Content_Types].xml", """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>
                """);
            Add("_rels/.rels", """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>
                """);
            Add("word/document.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>""" + body + "</w:body></w:document>");
        }
        return stream.ToArray();
    }

    /// <summary>50,000 nested w:sdt block controls around one paragraph: 6 KB zipped, and the OpenXml DOM recursed per level.</summary>
    public static byte[] DeepDocx(int depth = 50_000) => Docx(
        string.Concat(Enumerable.Repeat("<w:sdt><w:sdtContent>", depth)) + "<w:p><w:r><w:t>deep</w:t></w:r></w:p>" + string.Concat(Enumerable.Repeat("</w:sdtContent></w:sdt>", depth)));

    /// <summary>One paragraph repeated until word/document.xml holds <paramref name="chars"/> characters of text; zips ~1000:1.</summary>
    public static byte[] BombDocx(int chars)
    {
        const string Run = "<w:p><w:r><w:t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</w:t></w:r></w:p>";
        return Docx(string.Concat(Enumerable.Repeat(Run, chars / 100)), CompressionLevel.SmallestSize);
    }
}
