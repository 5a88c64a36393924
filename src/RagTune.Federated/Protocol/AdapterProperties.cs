// What a RagTune site reports in GetPropertiesRes.properties so that an aggregator without an --init-adapter can start from
// the site's adapter (Flower's server asks one client for GetParametersRes when its strategy has no initial parameters, but
// bare tensors carry neither the PEFT keys nor the adapter's config, which a PEFT folder needs).
namespace RagTune.Federated.Protocol;

public static class AdapterProperties
{
    /// <summary>string: the site's adapter_config.json, verbatim.</summary>
    public const string AdapterConfig = "ragtune.adapter_config";

    /// <summary>string: the PEFT keys of the tensors in wire order (AdapterParameters.Keys), joined with '\n'.</summary>
    public const string TensorKeys = "ragtune.tensor_keys";
}
