// Reads one assembly's metadata and IL with System.Reflection.Metadata (no loading, no reflection over live types) and
// lists, for every type it defines, the other types of the same assembly it uses and where.
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace RagTune.Architecture.Tests;

/// <summary>A use of type <paramref name="To"/> by type <paramref name="From"/> (full names, nested types as Outer+Inner),
/// seen in <paramref name="Where"/> (e.g. "field _x", "method Run body").</summary>
internal sealed record TypeUse(TypeDefinitionHandle From, TypeDefinitionHandle To, string Where);

/// <remarks>
/// A use is counted wherever the compiled assembly names a type of its own: base type, interfaces, generic constraints,
/// custom attributes, field / method / property / event signatures, local variables, and every token in method bodies
/// (calls, object creation, field access, casts, typeof, generic instantiations). Lambdas, iterators and async methods
/// compile to nested types, which count as part of the type they are nested in. What the compiler erases is not seen:
/// constants folded into IL (a const field's value, an enum member's value) and nameof. Types of other assemblies are
/// ignored: a project reference cannot be cyclic.
/// </remarks>
internal sealed class AssemblyTypes : IDisposable
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private readonly PEReader _pe;

    public AssemblyTypes(string path)
    {
        _pe = new PEReader(File.OpenRead(path));
        Reader = _pe.GetMetadataReader();
    }

    public MetadataReader Reader { get; }

    public IEnumerable<TypeDefinitionHandle> Types => Reader.TypeDefinitions;

    /// <summary>Namespace.Name, nested types as Outer+Inner.</summary>
    public string FullName(TypeDefinitionHandle handle)
    {
        var type = Reader.GetTypeDefinition(handle);
        string name = Reader.GetString(type.Name);
        var outer = type.GetDeclaringType();
        if (!outer.IsNil) return FullName(outer) + "+" + name;
        string ns = Reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>The namespace of the type, or of the outermost type it is nested in.</summary>
    public string Namespace(TypeDefinitionHandle handle)
    {
        var type = Reader.GetTypeDefinition(handle);
        while (!type.GetDeclaringType().IsNil) type = Reader.GetTypeDefinition(type.GetDeclaringType());
        return Reader.GetString(type.Namespace);
    }

    /// <summary>True for a public type (nested ones public all the way out).</summary>
    public bool IsPublic(TypeDefinitionHandle handle)
    {
        var type = Reader.GetTypeDefinition(handle);
        var visibility = type.Attributes & TypeAttributes.VisibilityMask;
        if (visibility == TypeAttributes.Public) return true;
        return visibility == TypeAttributes.NestedPublic && IsPublic(type.GetDeclaringType());
    }

    /// <summary>The simple name without generic arity ("List`1" → "List").</summary>
    public string SimpleName(TypeDefinitionHandle handle)
    {
        string name = Reader.GetString(Reader.GetTypeDefinition(handle).Name);
        int tick = name.IndexOf('`');
        return tick < 0 ? name : name[..tick];
    }

    /// <summary>Every use of a type of this assembly by a type of this assembly (a type using itself left out).</summary>
    public IEnumerable<TypeUse> Uses()
    {
        foreach (var handle in Reader.TypeDefinitions)
        {
            var collector = new Collector(this, handle);
            collector.Scan();
            foreach (var use in collector.Found) yield return use;
        }
    }

    public void Dispose() => _pe.Dispose();

    private sealed class Collector(AssemblyTypes assembly, TypeDefinitionHandle from) : ISignatureTypeProvider<int, object?>
    {
        private readonly MetadataReader _md = assembly.Reader;
        private readonly HashSet<(TypeDefinitionHandle, string)> _seen = [];
        private string _where = "";

        public List<TypeUse> Found { get; } = [];

        public void Scan()
        {
            var type = _md.GetTypeDefinition(from);
            At("base type", () => Entity(type.BaseType));
            foreach (var i in type.GetInterfaceImplementations())
                At("interface", () => Entity(_md.GetInterfaceImplementation(i).Interface));
            At("generic constraint", () => Constraints(type.GetGenericParameters()));
            At("attribute", () => Attributes(type.GetCustomAttributes()));
            foreach (var f in type.GetFields())
            {
                var field = _md.GetFieldDefinition(f);
                At($"field {_md.GetString(field.Name)}", () =>
                {
                    field.DecodeSignature(this, null);
                    Attributes(field.GetCustomAttributes());
                });
            }
            foreach (var p in type.GetProperties())
            {
                var property = _md.GetPropertyDefinition(p);
                At($"property {_md.GetString(property.Name)}", () => property.DecodeSignature(this, null));
            }
            foreach (var e in type.GetEvents())
            {
                var ev = _md.GetEventDefinition(e);
                At($"event {_md.GetString(ev.Name)}", () => Entity(ev.Type));
            }
            foreach (var m in type.GetMethods())
            {
                var method = _md.GetMethodDefinition(m);
                string name = _md.GetString(method.Name);
                At($"method {name} signature", () =>
                {
                    method.DecodeSignature(this, null);
                    Constraints(method.GetGenericParameters());
                    Attributes(method.GetCustomAttributes());
                    foreach (var parameter in method.GetParameters()) Attributes(_md.GetParameter(parameter).GetCustomAttributes());
                });
                if (method.RelativeVirtualAddress != 0)
                    At($"method {name} body", () => Body(assembly._pe.GetMethodBody(method.RelativeVirtualAddress)));
            }
        }

        private void At(string where, Action scan)
        {
            _where = where;
            scan();
        }

        private void Constraints(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
                foreach (var c in _md.GetGenericParameter(p).GetConstraints())
                    Entity(_md.GetGenericParameterConstraint(c).Type);
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes) Entity(_md.GetCustomAttribute(a).Constructor);
        }

        private void Body(MethodBodyBlock body)
        {
            if (!body.LocalSignature.IsNil)
                _md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            foreach (var region in body.ExceptionRegions)
                if (!region.CatchType.IsNil) Entity(region.CatchType);
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE) code = unchecked((short)(0xFE00 | il.ReadByte()));
                switch (Operands[code])
                {
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                        Entity(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    case OperandType.InlineSwitch:
                        int targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    default:
                        il.Offset += 4;
                        break;
                }
            }
        }

        private void Entity(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    Use((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    _md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                    break;
                case HandleKind.MethodDefinition:
                    Use(_md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    Use(_md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = _md.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = _md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
            }
        }

        private void Use(TypeDefinitionHandle to)
        {
            if (to != from && _seen.Add((to, _where))) Found.Add(new TypeUse(from, to, _where));
        }

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Use(handle);
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
            return 0;
        }

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? genericContext, int index) => 0;
        public int GetGenericTypeParameter(object? genericContext, int index) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
    }
}
