using PeTools.Core.Errors;
using PeTools.Torch.Model;
using PeTools.Torch.Positional;

namespace PeTools.Torch.Tests.Model;

public class ConfigTests
{
    public static TheoryData<string, string> BadConfigs() => new()
    {
        { "heads not dividing d_model", "--heads" },
        { "zero layers", "--layers" },
        { "dropout of 1", "--dropout" },
        { "pad id outside the vocabulary", "--pad-id" },
        { "pe layer past the last layer", "--pe-layers" },
        { "more rope heads than heads", "--rope-heads" },
        { "rotary fraction of 0", "--rotary-fraction" },
        { "rope base of 1", "--rope-base" },
        { "odd T5 bucket count", "--t5-buckets" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Bad_configs_are_one_line_usage_errors_naming_the_option(string what, string option)
    {
        // Given a config that is wrong in one way
        var config = Tiny.Config(what.Contains("T5") ? "t5" : "rope");
        config = what switch
        {
            "heads not dividing d_model" => config with { Heads = 5 },
            "zero layers" => config with { Layers = 0 },
            "dropout of 1" => config with { Dropout = 1 },
            "pad id outside the vocabulary" => config with { PadId = Tiny.Vocab },
            "pe layer past the last layer" => config with { PeLayers = [0, 2] },
            "more rope heads than heads" => config with { PeOptions = new PeOptions(RopeHeads: Tiny.Heads + 1) },
            "rotary fraction of 0" => config with { PeOptions = new PeOptions(RotaryFraction: 0) },
            "rope base of 1" => config with { PeOptions = new PeOptions(RopeBase: 1) },
            "odd T5 bucket count" => config with { PeOptions = new PeOptions(T5Buckets: 31) },
            _ => throw new ArgumentException(what),
        };

        // When the model is built
        var error = Assert.Throws<UsageError>(() => new Transformer(config));

        // Then the error is one line and names the option
        Assert.StartsWith($"option {option}: expected ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Default_config_is_the_reference_code()
    {
        // Given / When the default config
        var config = new TransformerConfig();

        // Then it is trans.py's (reference-code.md §9), with pure RoPE as the PE
        Assert.Equal((574, 574, 256, 512, 16, 6, 0.1, 128), (config.Vocab, config.Classes, config.DModel, config.DFF, config.Heads, config.Layers, config.Dropout, config.MaxLen));
        Assert.Equal((Architecture.Reference, AttentionKind.Mha, "rope", false, 128, 0), (config.Arch, config.Attention, config.Pe, config.Causal, config.DCompress, config.PadId));
        Assert.Null(config.PeLayers);
        Assert.Equal(new PeOptions(), config.PeOptions);
        Assert.Equal(10000, config.PeOptions.RopeBase);
    }
}
