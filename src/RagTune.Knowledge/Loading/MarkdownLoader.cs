// Loads Markdown with Markdig: plain text from the AST, ATX/setext headings as sections, code blocks kept verbatim,
// YAML front matter skipped (its title and scalar fields become the title and metadata).
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RagTune.Knowledge.Loading;

public sealed class MarkdownLoader : IDocumentLoader
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().UsePipeTables().Build();

    public IReadOnlyList<string> Extensions { get; } = [".md", ".markdown"];

    public Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var markdown = source.DecodeText();
        MarkdownDocument ast;
        try
        {
            ast = Markdown.Parse(markdown, Pipeline);
        }
        catch (ArgumentException e)
        {
            // Markdig's own guard against input nested deeper than it will parse.
            throw new KnowledgeException($"cannot read '{source.RelativePath}': {e.Message}; expected Markdown nested less deeply", e);
        }
        var metadata = new Dictionary<string, string>();
        var builder = new StructuredTextBuilder(options.MaxDocumentChars, source.RelativePath);
        foreach (var block in ast)
        {
            if (block is YamlFrontMatterBlock yaml) ReadFrontMatter(yaml, metadata, source.RelativePath);
            else RenderBlock(block, builder, options, source.RelativePath);
        }
        var (text, sections) = builder.Build();
        var title = metadata.GetValueOrDefault("title") ?? sections.FirstOrDefault(s => s.Level == 1)?.Title;
        IReadOnlyList<DocumentLoadResult> results = [DocumentLoadResult.Ok(source.ToDocument(text, title, sections, metadata))];
        return Task.FromResult(results);
    }

    private static void RenderBlock(Block block, StructuredTextBuilder builder, DocumentLoadOptions options, string name)
    {
        switch (block)
        {
            case HeadingBlock heading:
                builder.BeginHeading(heading.Level);
                RenderInlines(heading.Inline, builder);
                builder.EndHeading();
                break;
            case Table table:
                builder.ParagraphBreak();
                foreach (var row in table.OfType<TableRow>())
                {
                    var cells = row.OfType<TableCell>().Select(cell =>
                    {
                        var cellBuilder = new StructuredTextBuilder();
                        foreach (var child in cell) RenderBlock(child, cellBuilder, options, name);
                        return cellBuilder.Build().Text.Replace('\n', ' ');
                    });
                    builder.LineBreak();
                    builder.Preformatted(string.Join('\t', cells));
                }
                builder.ParagraphBreak();
                break;
            case CodeBlock code:
                builder.ParagraphBreak();
                builder.Preformatted(LinesOf(code));
                builder.ParagraphBreak();
                break;
            case LeafBlock leaf when leaf is ParagraphBlock:
                builder.ParagraphBreak();
                RenderInlines(leaf.Inline, builder);
                builder.ParagraphBreak();
                break;
            case HtmlBlock html:
                // Raw HTML in Markdown (centred intros, <details> sections) carries prose: keep its visible text.
                builder.ParagraphBreak();
                HtmlLoader.RenderFragment(LinesOf(html), builder, options, name);
                builder.ParagraphBreak();
                break;
            case ContainerBlock container:
                foreach (var child in container) RenderBlock(child, builder, options, name);
                break;
            default:
                // Thematic breaks and link reference definitions carry no prose.
                builder.ParagraphBreak();
                break;
        }
    }

    private static void RenderInlines(ContainerInline? container, StructuredTextBuilder builder)
    {
        if (container is null) return;
        foreach (var inline in container)
        {
            switch (inline)
            {
                case LiteralInline literal: builder.Text(literal.Content.ToString()); break;
                case CodeInline code: builder.Text(code.Content); break;
                case HtmlEntityInline entity: builder.Text(entity.Transcoded.ToString()); break;
                case AutolinkInline link: builder.Text(link.Url); break;
                case LineBreakInline br: if (br.IsHard) builder.LineBreak(); else builder.Space(); break;
                case ContainerInline nested: RenderInlines(nested, builder); break;
            }
        }
    }

    /// <summary>Top-level "key: scalar" pairs of the front matter, read from the YAML event stream: the representation
    /// model recursed once per nesting level (a 40,000-deep flow sequence overflowed the stack), this walk does not.</summary>
    private static void ReadFrontMatter(YamlFrontMatterBlock block, Dictionary<string, string> metadata, string name)
    {
        var yaml = string.Join('\n', LinesOf(block).Split('\n').Where(l => l.Trim() is not ("---" or "...")));
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        var expectKey = true;
        string? key = null;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case Scalar scalar when depth == 1:
                        if (expectKey) key = scalar.Value;
                        else if (key is not null) metadata[key] = scalar.Value;
                        expectKey = !expectKey;
                        break;
                    case AnchorAlias when depth == 1:
                        if (expectKey) key = null;
                        expectKey = !expectKey;
                        break;
                    case MappingStart or SequenceStart:
                        if (depth == 0 && parser.Current is not MappingStart) return;
                        if (depth == 1 && expectKey) key = null;
                        depth++;
                        break;
                    case MappingEnd or SequenceEnd:
                        if (--depth == 0) return;
                        // A nested key or value ended: the next top-level scalar is the other half of the pair.
                        if (depth == 1) expectKey = !expectKey;
                        break;
                    case DocumentEnd:
                        return;
                }
            }
        }
        catch (YamlException e)
        {
            throw new KnowledgeException($"cannot read '{name}': the YAML front matter is invalid at line {e.Start.Line} ({e.Message}); expected a YAML mapping between '---' lines", e);
        }
    }

    private static string LinesOf(LeafBlock block) =>
        string.Join('\n', block.Lines.Lines.Take(block.Lines.Count).Select(l => l.Slice.ToString()));
}
