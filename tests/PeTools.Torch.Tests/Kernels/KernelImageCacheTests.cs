using PeTools.Torch.Kernels;

namespace PeTools.Torch.Tests.Kernels;

public class KernelImageCacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pe-kernel-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void A_second_process_reads_the_image_the_first_compiled_and_changed_inputs_compile_again()
    {
        // Given an image compiled through one cache instance (one process)
        int compiles = 0;
        byte[] Compile(byte tag) { compiles++; return [tag, 1, 2, 3]; }
        var first = new KernelImageCache(_root).GetOrCompile(["nvrtc 13.0", "sm_90", "a.cu", "source"], () => Compile(7));

        // When another instance (the next process) asks for the same inputs, then for a changed source and a changed option
        var later = new KernelImageCache(_root);
        var again = later.GetOrCompile(["nvrtc 13.0", "sm_90", "a.cu", "source"], () => Compile(8));
        var edited = later.GetOrCompile(["nvrtc 13.0", "sm_90", "a.cu", "source!"], () => Compile(9));
        var option = later.GetOrCompile(["nvrtc 13.0", "sm_80", "a.cu", "source"], () => Compile(10));

        // Then the same inputs come from disk, byte for byte, and each change compiles
        Assert.Equal(first, again);
        Assert.Equal([9, 1, 2, 3], edited);
        Assert.Equal([10, 1, 2, 3], option);
        Assert.Equal(3, compiles);
        Assert.Equal((1, 2), (later.Hits, later.Misses));
        Assert.Empty(Directory.GetFiles(_root, "*.tmp"));
    }

    [Fact]
    public void Inputs_that_concatenate_alike_have_different_keys()
    {
        Assert.NotEqual(KernelImageCache.Key(["ab", "c"]), KernelImageCache.Key(["a", "bc"]));
        Assert.Equal(KernelImageCache.Key(["a", "bc"]), KernelImageCache.Key(["a", "bc"]));
    }

    [Fact]
    public void Without_a_usable_directory_every_request_compiles_and_nothing_fails()
    {
        // Given a cache that keeps nothing, and one whose directory is a file (cannot be created)
        File.WriteAllText(_root, "not a directory");
        try
        {
            int compiles = 0;
            foreach (var cache in new[] { new KernelImageCache(null), new KernelImageCache(Path.Combine(_root, "kernels")) })
            {
                // When the same image is asked for twice
                cache.GetOrCompile(["x"], () => { compiles++; return [1]; });
                var image = cache.GetOrCompile(["x"], () => { compiles++; return [1]; });

                // Then both compile, and the image is still returned
                Assert.Equal([1], image);
            }
            Assert.Equal(4, compiles);
        }
        finally
        {
            File.Delete(_root);
        }
    }
}
