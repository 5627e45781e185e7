using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>
/// The safetensors format (8-byte little-endian header length, a JSON header of name → dtype/shape/offsets, then
/// raw little-endian tensor bytes): what PyTorch users load with <c>safetensors.torch.load_file</c>. Tensor names
/// are written sorted, so the same tensors always give the same bytes.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<ScalarType, string> DTypeNames = new()
    {
        [ScalarType.Float32] = "F32",
        [ScalarType.Float64] = "F64",
        [ScalarType.BFloat16] = "BF16",
        [ScalarType.Float16] = "F16",
        [ScalarType.Int64] = "I64",
        [ScalarType.Int32] = "I32",
        [ScalarType.Byte] = "U8",
        [ScalarType.Bool] = "BOOL",
    };

    /// <summary>Writes <paramref name="tensors"/> atomically (temp + rename) with optional string metadata.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        var cpu = new List<Tensor>();
        try
        {
            foreach (var name in names)
            {
                var t = tensors[name].detach().cpu().contiguous();
                cpu.Add(t);
                long size = t.NumberOfElements * t.ElementSize;
                header[name] = new Dictionary<string, object>
                {
                    ["dtype"] = DTypeNames.TryGetValue(t.dtype, out var d) ? d : throw new NotSupportedException($"dtype {t.dtype}"),
                    ["shape"] = t.shape,
                    ["data_offsets"] = new[] { offset, offset + size },
                };
                offset += size;
            }
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
            int pad = (8 - json.Length % 8) % 8; // align tensor data to 8 bytes, as the reference writer does
            var headerBytes = new byte[json.Length + pad];
            json.CopyTo(headerBytes, 0);
            for (int i = json.Length; i < headerBytes.Length; i++) headerBytes[i] = (byte)' ';

            using var file = new AtomicFile(path);
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            file.Stream.Write(len);
            file.Stream.Write(headerBytes);
            foreach (var t in cpu) file.Stream.Write(t.bytes);
            file.Commit();
        }
        finally
        {
            foreach (var t in cpu) t.Dispose();
        }
    }

    /// <summary>Reads every tensor of a safetensors file onto the CPU; bad files give a one-line InputError.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        if (!File.Exists(path)) throw new InputError(path, "file", "a safetensors file", "no such file");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InputError(path, "header", "a safetensors header", "a file shorter than 8 bytes");
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength <= 0 || 8 + headerLength > bytes.Length)
            throw new InputError(path, "header", "a safetensors header length within the file", headerLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength)); }
        catch (JsonException e) { throw new InputError(path, "header", "a JSON header", $"invalid JSON ({e.Message.Split('\n')[0]})"); }

        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        long dataStart = 8 + headerLength;
        using (doc)
        {
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                var dtypeName = entry.Value.GetProperty("dtype").GetString()!;
                var dtype = DTypeNames.FirstOrDefault(kv => kv.Value == dtypeName).Key;
                if (!DTypeNames.ContainsValue(dtypeName))
                    throw new InputError(path, $"tensor '{entry.Name}'", "a supported dtype", dtypeName);
                var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var t = empty(shape, dtype);
                long size = offsets[1] - offsets[0];
                if (size != t.NumberOfElements * t.ElementSize || dataStart + offsets[1] > bytes.Length)
                {
                    t.Dispose();
                    throw new InputError(path, $"tensor '{entry.Name}'", $"{shape.Length}-d data within the file", "truncated or inconsistent offsets");
                }
                bytes.AsSpan((int)(dataStart + offsets[0]), (int)size).CopyTo(t.bytes);
                tensors[entry.Name] = t;
            }
        }
        return (tensors, metadata);
    }
}
