using PeTools.Core.Errors;
using PeTools.Torch.Model;
using PeTools.Torch.Positional;

namespace PeTools.Torch.Tests.Positional;

public class RegistryTests
{
    [Theory]
    [MemberData(nameof(Tiny.AllPes), MemberType = typeof(Tiny))]
    public void Every_pe_has_the_coupling_its_registry_line_declares(string key)
    {
        // Given the registry line of a PE (listed without building it, e.g. by pe-train list-pe)
        var entry = PositionalEncodings.Find(key);

        // When the PE is built
        using var pe = entry.Create(Tiny.Config(key));

        // Then the instance agrees with its line, and the line is documented
        Assert.Equal(entry.Coupling, pe.Coupling);
        Assert.False(string.IsNullOrWhiteSpace(entry.Description));
    }

    [Fact]
    public void Registry_keys_are_unique_and_lower_case()
    {
        // Given the registry / When its keys are listed
        var keys = PositionalEncodings.Keys.ToList();

        // Then no key repeats and every key is what a flag value looks like
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.All(keys, k => Assert.Equal(k.ToLowerInvariant(), k));
    }

    [Fact]
    public void Unknown_pe_is_a_usage_error_that_lists_the_keys()
    {
        // Given a config naming a PE the registry lacks
        var config = Tiny.Config("rotary");

        // When the model is built
        var error = Assert.Throws<UsageError>(() => new Transformer(config));

        // Then the one-line message names the option, every valid key, and what was found
        Assert.Contains("--pe", error.Message);
        Assert.All(PositionalEncodings.Keys, k => Assert.Contains(k, error.Message));
        Assert.Contains("'rotary'", error.Message);
    }

    [Theory]
    [MemberData(nameof(Tiny.AllPes), MemberType = typeof(Tiny))]
    public void No_pe_table_lands_in_the_checkpoint(string key)
    {
        // Given a model with this PE (some PEs hold frequency or slope buffers)
        using var model = new Transformer(Tiny.Config(key));

        // When its state dict is taken
        var stateKeys = model.state_dict().Keys.OrderBy(k => k).ToList();

        // Then it holds exactly the parameters: every buffer is non-persistent
        var parameterKeys = model.named_parameters().Select(p => p.name).OrderBy(k => k).ToList();
        Assert.Equal(parameterKeys, stateKeys);
    }
}
