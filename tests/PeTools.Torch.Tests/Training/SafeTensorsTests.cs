using System.Text;
using PeTools.Core.Errors;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Training;

public class SafeTensorsTests
{
    [Fact]
    public void Round_trip_keeps_names_dtypes_shapes_values_and_metadata()
    {
        // Given tensors of three dtypes
        using var scope = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = arange(12, dtype: ScalarType.Float32).reshape(3, 4),
            ["a.count"] = tensor(new long[] { 7, -1 }),
            ["c.half"] = ones(2, dtype: ScalarType.BFloat16),
        };

        // When saved and loaded
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var (loaded, meta) = SafeTensors.Load(path);

        // Then everything survives, and the header is the documented format (u64 length + JSON)
        Assert.Equal("pt", meta["format"]);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, loaded[name].dtype);
            Assert.Equal(t.shape, loaded[name].shape);
            Assert.True(t.eq(loaded[name]).all().item<bool>());
        }
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.Contains("\"b.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[", header);
        Assert.Equal(0, (8 + headerLength) % 8);
        File.Delete(path);
    }

    [Fact]
    public void A_truncated_file_is_a_one_line_input_error()
    {
        // Given a valid file cut in half
        using var scope = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = ones(100) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 200)]);

        // When loading, then a one-line InputError names the file and the tensor
        var e = Assert.Throws<InputError>(() => SafeTensors.Load(path));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        File.Delete(path);
    }
}
