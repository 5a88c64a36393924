// Element types a safetensors file can hold, named as in the reference implementation (huggingface/safetensors).
namespace RagTune.Engine.Tensors;

public enum DType
{
    Bool,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
    F8_E4M3,
    F8_E5M2,
}
