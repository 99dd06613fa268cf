using System.Runtime.InteropServices;

namespace Specula.Tests.Runtime;

/// <summary>
/// Direct calls into the ggml libraries that LLamaSharp's CPU backend ships (the AVX-512 build, the one
/// LLamaSharp loads on this machine), to run single ggml operations on chosen inputs and compare our kernels
/// with them bit for bit. Tests only.
/// </summary>
static unsafe class GgmlNative
{
    [StructLayout(LayoutKind.Sequential)]
    struct InitParams
    {
        public nuint MemorySize;
        public IntPtr MemoryBuffer;
        public byte NoAlloc;
    }

    public const int F32 = 0, I32 = 26;
    public const int RopeNormal = 0, RopeNeox = 2;

    static GgmlNative()
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "avx512");
        var baseLibrary = NativeLibrary.Load(Path.Combine(directory, "libggml-base.so"));
        var cpuLibrary = NativeLibrary.Load(Path.Combine(directory, "libggml-cpu.so"));
        NativeLibrary.SetDllImportResolver(typeof(GgmlNative).Assembly, (name, _, _) =>
            name == "ggml-base" ? baseLibrary : name == "ggml-cpu" ? cpuLibrary : IntPtr.Zero);
        ggml_cpu_init();
    }

    [DllImport("ggml-cpu")] static extern void ggml_cpu_init();
    [DllImport("ggml-base")] static extern IntPtr ggml_init(InitParams parameters);
    [DllImport("ggml-base")] static extern void ggml_free(IntPtr context);
    [DllImport("ggml-base")] static extern IntPtr ggml_new_tensor_1d(IntPtr context, int type, long ne0);
    [DllImport("ggml-base")] static extern IntPtr ggml_new_tensor_2d(IntPtr context, int type, long ne0, long ne1);
    [DllImport("ggml-base")] static extern IntPtr ggml_new_tensor_3d(IntPtr context, int type, long ne0, long ne1, long ne2);
    [DllImport("ggml-base")] static extern IntPtr ggml_get_data(IntPtr tensor);
    [DllImport("ggml-base")] public static extern IntPtr ggml_rms_norm(IntPtr context, IntPtr a, float epsilon);
    [DllImport("ggml-base")] public static extern IntPtr ggml_mul(IntPtr context, IntPtr a, IntPtr b);
    [DllImport("ggml-base")] public static extern IntPtr ggml_soft_max_ext(IntPtr context, IntPtr a, IntPtr mask, float scale, float maxBias);
    [DllImport("ggml-base")] public static extern IntPtr ggml_swiglu_split(IntPtr context, IntPtr a, IntPtr b);
    [DllImport("ggml-base")] public static extern IntPtr ggml_mul_mat(IntPtr context, IntPtr a, IntPtr b);
    [DllImport("ggml-base")] public static extern IntPtr ggml_permute(IntPtr context, IntPtr a, int axis0, int axis1, int axis2, int axis3);
    [DllImport("ggml-base")] public static extern IntPtr ggml_view_3d(IntPtr context, IntPtr a, long ne0, long ne1, long ne2, nuint nb1, nuint nb2, nuint offset);
    [DllImport("ggml-base")] public static extern IntPtr ggml_rope_ext(IntPtr context, IntPtr a, IntPtr positions, IntPtr frequencyFactors,
        int dimensions, int mode, int originalContext, float frequencyBase, float frequencyScale, float extrapolationFactor,
        float attentionFactor, float betaFast, float betaSlow);
    [DllImport("ggml-base")] static extern IntPtr ggml_new_graph(IntPtr context);
    [DllImport("ggml-base")] static extern void ggml_build_forward_expand(IntPtr graph, IntPtr tensor);
    [DllImport("ggml-cpu")] static extern int ggml_graph_compute_with_ctx(IntPtr context, IntPtr graph, int threads);

    /// <summary>A ggml context owning its tensors' memory; disposing it frees them.</summary>
    public sealed class Context : IDisposable
    {
        public IntPtr Handle { get; } = ggml_init(new InitParams { MemorySize = 64 << 20 });

        public IntPtr Tensor(ReadOnlySpan<float> values, long ne0, long ne1 = 1, long ne2 = 1)
        {
            var tensor = ggml_new_tensor_3d(Handle, F32, ne0, ne1, ne2);
            values.CopyTo(Floats(tensor, checked((int)(ne0 * ne1 * ne2))));
            return tensor;
        }

        public IntPtr Positions(ReadOnlySpan<int> positions)
        {
            var tensor = ggml_new_tensor_1d(Handle, I32, positions.Length);
            positions.CopyTo(new Span<int>((void*)ggml_get_data(tensor), positions.Length));
            return tensor;
        }

        /// <summary>Computes <paramref name="result"/> on one thread and returns its first <paramref name="count"/> floats.</summary>
        public float[] Compute(IntPtr result, int count)
        {
            var graph = ggml_new_graph(Handle);
            ggml_build_forward_expand(graph, result);
            int status = ggml_graph_compute_with_ctx(Handle, graph, 1);
            if (status != 0) throw new InvalidOperationException($"ggml_graph_compute failed with status {status}");
            return Floats(result, count).ToArray();
        }

        public void Dispose() => ggml_free(Handle);
    }

    public static Span<float> Floats(IntPtr tensor, int count) => new((void*)ggml_get_data(tensor), count);
}
