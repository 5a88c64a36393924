// Layering inside each src assembly: the top-level sub-namespaces (RagTune.Engine.Kernels, RagTune.Engine.Models, …)
// must form a directed acyclic graph, so each can be read, tested and replaced on top of the ones it uses.
using System.Text;

namespace RagTune.Architecture.Tests;

public sealed class NamespaceCycleTests
{
    /// <summary>
    /// Nodes are the top-level sub-namespaces of an assembly's root namespace (RagTune.Engine.Kernels.Avx counts as
    /// Kernels); an edge A → B is any use of a type of B by a type of A, found in the compiled metadata and IL (see
    /// <see cref="AssemblyTypes"/> for exactly what counts). The root namespace itself (the assembly's exception type
    /// and entry-point facades such as RagTuneServer) is outside the layering and not a node, nor are compiler-generated
    /// types outside it (regex generators, &lt;PrivateImplementationDetails&gt;). A failure lists each cycle's
    /// namespaces and, per edge, the type references that make it.
    /// </summary>
    [Fact]
    public void No_src_assembly_has_a_cycle_between_its_sub_namespaces()
    {
        var report = new StringBuilder();
        var stillThere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, rootNamespace, path) in SrcAssemblies.All)
        {
            using var assembly = new AssemblyTypes(path);
            foreach (var (members, text) in Cycles(assembly, rootNamespace))
            {
                string key = $"{name}: {members}";
                if (KnownCycles.ContainsKey(key)) stillThere.Add(key);
                else report.AppendLine($"{name}: {text}");
            }
        }
        foreach (var gone in KnownCycles.Keys.Where(k => !stillThere.Contains(k)))
            report.AppendLine($"{gone}: this known cycle is gone (or changed its members); remove it from KnownCycles");
        Assert.True(report.Length == 0, "namespace cycles:\n" + report);
    }

    /// <summary>
    /// The cycles that existed when this test was written, each to be broken by moving types to the namespace they belong
    /// to; the test fails on any other cycle, on one of these growing by a namespace, and on one of these disappearing
    /// (so the list only shrinks). Key: "assembly: members in ordinal order joined by ' ↔ '".
    /// </summary>
    private static readonly Dictionary<string, string> KnownCycles = new(StringComparer.Ordinal)
    {
    };

    [Fact]
    public void The_scan_sees_uses_in_signatures_and_method_bodies()
    {
        // Guards the scan itself: known uses of both kinds must show up as edges.
        var engine = SrcAssemblies.All.Single(a => a.Name == "RagTune.Engine");
        using var assembly = new AssemblyTypes(engine.Path);
        var edges = Edges(assembly, engine.RootNamespace);
        // LocalChatClient (AI) takes a TextGenerator (Generation) in its constructor and calls TextGenerator.Load in a body.
        Assert.Contains(("AI", "Generation"), edges.Keys);
        Assert.Contains(edges[("AI", "Generation")], u => u.Contains("body", StringComparison.Ordinal));
        Assert.Contains(edges[("AI", "Generation")], u => u.Contains("field", StringComparison.Ordinal) || u.Contains("signature", StringComparison.Ordinal));
    }

    private static string? Node(string ns, string rootNamespace)
    {
        if (!ns.StartsWith(rootNamespace + ".", StringComparison.Ordinal)) return null;
        string rest = ns[(rootNamespace.Length + 1)..];
        int dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    /// <summary>(from node, to node) → "FromType → ToType (where)" for every use crossing sub-namespaces.</summary>
    private static Dictionary<(string From, string To), List<string>> Edges(AssemblyTypes assembly, string rootNamespace)
    {
        var edges = new Dictionary<(string, string), List<string>>();
        foreach (var use in assembly.Uses())
        {
            var from = Node(assembly.Namespace(use.From), rootNamespace);
            var to = Node(assembly.Namespace(use.To), rootNamespace);
            if (from is null || to is null || from == to) continue;
            if (!edges.TryGetValue((from, to), out var list)) edges[(from, to)] = list = [];
            list.Add($"{assembly.FullName(use.From)} → {assembly.FullName(use.To)} ({use.Where})");
        }
        return edges;
    }

    /// <summary>Each strongly connected component of more than one namespace: its members and a report of the references
    /// along its edges.</summary>
    private static IEnumerable<(string Members, string Text)> Cycles(AssemblyTypes assembly, string rootNamespace)
    {
        var edges = Edges(assembly, rootNamespace);
        var nodes = edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Order(StringComparer.Ordinal).ToList();
        var next = nodes.ToDictionary(n => n, n => edges.Keys.Where(e => e.From == n).Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        foreach (var component in StronglyConnected(nodes, next).Where(c => c.Count > 1))
        {
            var members = component.ToHashSet();
            string names = string.Join(" ↔ ", component.Order(StringComparer.Ordinal));
            var text = new StringBuilder(names);
            foreach (var ((from, to), uses) in edges.Where(e => members.Contains(e.Key.From) && members.Contains(e.Key.To)).OrderBy(e => e.Key.From).ThenBy(e => e.Key.To))
            {
                text.Append($"\n  {from} → {to}: {uses.Count} reference(s)");
                foreach (var u in uses.Distinct().Take(5)) text.Append($"\n    {u}");
            }
            yield return (names, text.ToString());
        }
    }

    /// <summary>Tarjan's algorithm.</summary>
    private static List<List<string>> StronglyConnected(List<string> nodes, Dictionary<string, List<string>> next)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in next[v])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            result.Add(component);
        }
        foreach (var n in nodes)
            if (!index.ContainsKey(n)) Visit(n);
        return result;
    }
}
