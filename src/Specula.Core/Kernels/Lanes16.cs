using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// Sixteen float lanes, held as one <see cref="Vector512{T}"/>, two <see cref="Vector256{T}"/> or four
/// <see cref="Vector128{T}"/>. Kernels written once against this interface run at every vector width with the
/// same results: every operation acts lane by lane (a fused multiply-add rounds once at any width), and the
/// only cross-lane operations, <see cref="Sum"/> and <see cref="MaxAcross"/>, follow one fixed order.
/// Sixteen is the lane count of ggml's AVX-512 code, whose accumulation order the attention and activation
/// kernels reproduce.
/// </summary>
internal unsafe interface ILanes16<T> where T : unmanaged, ILanes16<T>
{
    static abstract T Load(float* source);
    static abstract void Store(T value, float* destination);
    static abstract T Broadcast(float value);
    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, T b);
    static abstract T operator /(T a, T b);
    /// <summary>Bitwise and of the lanes' bits (with a mask of all-ones or zero lanes: keeps or zeroes them).</summary>
    static abstract T And(T a, T b);
    /// <summary>a·b + c rounded once.</summary>
    static abstract T MultiplyAdd(T a, T b, T c);
    static abstract T Max(T a, T b);
    /// <summary>The largest lane (NaN lanes ignored unless all are NaN).</summary>
    static abstract float MaxAcross(T value);
    /// <summary>Sum of the lanes in the order of <see cref="LaneSum"/>: lane i + lane i+8, then i+4, i+2, i+1
    /// (the order of <c>_mm512_reduce_add_ps</c>).</summary>
    static abstract float Sum(T value);
    /// <summary>destination[i] = <see cref="Sum"/>(values[i]) for i in 0..15 (the same additions, done for
    /// sixteen vectors at once where the width allows).</summary>
    static abstract void SumEach(T* values, float* destination);
    /// <summary>j·2^n for integral n, exactly as AVX-512's <c>vscalefps</c> rounds it (see <see cref="GgmlExp"/>).</summary>
    static abstract T ScaleByPowerOfTwo(T j, T n);
}

/// <summary>Which <see cref="ILanes16{T}"/> implementation the kernels run with.</summary>
internal static unsafe class Lanes16
{
    public enum Width { W512, W256, W128 }

    public static Width Current =>
        KernelOptions.Use512 ? Width.W512 : KernelOptions.Use256 ? Width.W256 : Width.W128;

    // Sixteen all-ones lanes then sixteen zero lanes: the 16 floats from (16 - n) keep the first n lanes.
    static readonly float* MaskWindow = CreateMaskWindow();

    static float* CreateMaskWindow()
    {
        var window = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(32 * sizeof(float), 64);
        for (int i = 0; i < 32; i++) window[i] = BitConverter.Int32BitsToSingle(i < 16 ? -1 : 0);
        return window;
    }

    /// <summary>A mask keeping lanes [0, <paramref name="count"/>) and zeroing the rest (0 ≤ count ≤ 16),
    /// for <see cref="ILanes16{T}.And"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FirstLanes<T>(int count) where T : unmanaged, ILanes16<T> => T.Load(MaskWindow + 16 - count);
}

internal unsafe struct Lanes512 : ILanes16<Lanes512>
{
    public Vector512<float> V;
    Lanes512(Vector512<float> v) => V = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes512 value, float* destination) => value.V.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator +(Lanes512 a, Lanes512 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator -(Lanes512 a, Lanes512 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator *(Lanes512 a, Lanes512 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator /(Lanes512 a, Lanes512 b) => new(a.V / b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 And(Lanes512 a, Lanes512 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 MultiplyAdd(Lanes512 a, Lanes512 b, Lanes512 c) => new(Vector512.FusedMultiplyAdd(a.V, b.V, c.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Max(Lanes512 a, Lanes512 b) => new(Vector512.Max(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Lanes512 value) => Lanes256.MaxOf(value.V.GetLower(), value.V.GetUpper());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Lanes512 value) => LaneSum.Of16(value.V);

    /// <summary>Sixteen lane sums at once: each step adds the same lane pairs as <see cref="LaneSum"/> (i+8,
    /// then i+4, i+2, i+1), with shuffles packing two, four, then eight vectors' partial sums per register.</summary>
    public static void SumEach(Lanes512* values, float* destination)
    {
        if (!Avx512F.IsSupported)
        {
            for (int i = 0; i < 16; i++) destination[i] = Sum(values[i]);
            return;
        }
        var v = (Vector512<float>*)values;
        // z[r]: lanes 0-7 = a(r), lanes 8-15 = a(r+8), where a_i = x_i + x_(i+8).
        var z0 = Half(v[0], v[8]); var z1 = Half(v[1], v[9]); var z2 = Half(v[2], v[10]); var z3 = Half(v[3], v[11]);
        var z4 = Half(v[4], v[12]); var z5 = Half(v[5], v[13]); var z6 = Half(v[6], v[14]); var z7 = Half(v[7], v[15]);
        // w[r]: 128-bit blocks = b(r), b(r+8), b(r+4), b(r+12), where b_i = a_i + a_(i+4).
        var w0 = Quarter(z0, z4); var w1 = Quarter(z1, z5); var w2 = Quarter(z2, z6); var w3 = Quarter(z3, z7);
        // u: per block (c0, c1) of w[r]'s vector then (c0, c1) of w[r+2]'s, where c0 = b0 + b2, c1 = b1 + b3.
        var u0 = Avx512F.Shuffle(w0, w2, 0b01_00_01_00) + Avx512F.Shuffle(w0, w2, 0b11_10_11_10);
        var u1 = Avx512F.Shuffle(w1, w3, 0b01_00_01_00) + Avx512F.Shuffle(w1, w3, 0b11_10_11_10);
        // t: per block c0 + c1 of (w0|w2 first, w1|w3 second): lanes hold vectors 0,2,1,3 of each block's four.
        var t = Avx512F.Shuffle(u0, u1, 0b10_00_10_00) + Avx512F.Shuffle(u0, u1, 0b11_01_11_01);
        Avx512F.PermuteVar16x32(t, SumEachOrder).Store(destination);
    }

    // Block j of t holds vectors (r, r+2, r+1, r+3) + offset(j) for r = 0, with offsets 0, 8, 4, 12.
    static readonly Vector512<int> SumEachOrder = Vector512.Create(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Half(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0b01_00_01_00) + Avx512F.Shuffle4x128(x, y, 0b11_10_11_10);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Quarter(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0b10_00_10_00) + Avx512F.Shuffle4x128(x, y, 0b11_01_11_01);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ScaleByPowerOfTwo(Lanes512 j, Lanes512 n)
    {
        // Common case: 2^n is a normal float, built from its exponent bits; the product rounds once.
        if (Vector512.LessThanOrEqualAll(Vector512.Abs(n.V), Vector512.Create(126f)))
            return new(j.V * (Vector512.ConvertToInt32(n.V) + Vector512.Create(127) << 23).AsSingle());
        return ScaleSlow(j, n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static Lanes512 ScaleSlow(Lanes512 j, Lanes512 n)
    {
        float* a = stackalloc float[16];
        float* b = stackalloc float[16];
        j.V.Store(a);
        n.V.Store(b);
        for (int i = 0; i < 16; i++) a[i] = GgmlExp.ScaleByPowerOfTwo(a[i], b[i]);
        return new(Vector512.Load(a));
    }
}

internal unsafe struct Lanes256 : ILanes16<Lanes256>
{
    public Vector256<float> Lo, Hi;
    Lanes256(Vector256<float> lo, Vector256<float> hi) { Lo = lo; Hi = hi; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Load(float* source) => new(Vector256.Load(source), Vector256.Load(source + 8));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes256 value, float* destination) { value.Lo.Store(destination); value.Hi.Store(destination + 8); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Broadcast(float value) { var v = Vector256.Create(value); return new(v, v); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator +(Lanes256 a, Lanes256 b) => new(a.Lo + b.Lo, a.Hi + b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator -(Lanes256 a, Lanes256 b) => new(a.Lo - b.Lo, a.Hi - b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator *(Lanes256 a, Lanes256 b) => new(a.Lo * b.Lo, a.Hi * b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator /(Lanes256 a, Lanes256 b) => new(a.Lo / b.Lo, a.Hi / b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 And(Lanes256 a, Lanes256 b) => new(a.Lo & b.Lo, a.Hi & b.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 MultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 c) =>
        new(Vector256.FusedMultiplyAdd(a.Lo, b.Lo, c.Lo), Vector256.FusedMultiplyAdd(a.Hi, b.Hi, c.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Max(Lanes256 a, Lanes256 b) => new(Vector256.Max(a.Lo, b.Lo), Vector256.Max(a.Hi, b.Hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Lanes256 value) => MaxOf(value.Lo, value.Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Lanes256 value) => LaneSum.Of16(value.Lo, value.Hi);
    public static void SumEach(Lanes256* values, float* destination)
    {
        for (int i = 0; i < 16; i++) destination[i] = Sum(values[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float MaxOf(Vector256<float> a, Vector256<float> b)
    {
        var m = Vector256.Max(a, b);
        var q = Vector128.Max(m.GetLower(), m.GetUpper());
        return MathF.Max(MathF.Max(q.GetElement(0), q.GetElement(1)), MathF.Max(q.GetElement(2), q.GetElement(3)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ScaleByPowerOfTwo(Lanes256 j, Lanes256 n)
    {
        var limit = Vector256.Create(126f);
        if (Vector256.LessThanOrEqualAll(Vector256.Abs(n.Lo), limit) && Vector256.LessThanOrEqualAll(Vector256.Abs(n.Hi), limit))
        {
            var bias = Vector256.Create(127);
            return new(j.Lo * (Vector256.ConvertToInt32(n.Lo) + bias << 23).AsSingle(),
                j.Hi * (Vector256.ConvertToInt32(n.Hi) + bias << 23).AsSingle());
        }
        return ScaleSlow(j, n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static Lanes256 ScaleSlow(Lanes256 j, Lanes256 n)
    {
        float* a = stackalloc float[16];
        float* b = stackalloc float[16];
        Store(j, a);
        Store(n, b);
        for (int i = 0; i < 16; i++) a[i] = GgmlExp.ScaleByPowerOfTwo(a[i], b[i]);
        return Load(a);
    }
}

internal unsafe struct Lanes128 : ILanes16<Lanes128>
{
    public Vector128<float> A, B, C, D; // lanes 0-3, 4-7, 8-11, 12-15
    Lanes128(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) { A = a; B = b; C = c; D = d; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Load(float* source) =>
        new(Vector128.Load(source), Vector128.Load(source + 4), Vector128.Load(source + 8), Vector128.Load(source + 12));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes128 value, float* destination)
    {
        value.A.Store(destination);
        value.B.Store(destination + 4);
        value.C.Store(destination + 8);
        value.D.Store(destination + 12);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Broadcast(float value) { var v = Vector128.Create(value); return new(v, v, v, v); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator +(Lanes128 x, Lanes128 y) => new(x.A + y.A, x.B + y.B, x.C + y.C, x.D + y.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator -(Lanes128 x, Lanes128 y) => new(x.A - y.A, x.B - y.B, x.C - y.C, x.D - y.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator *(Lanes128 x, Lanes128 y) => new(x.A * y.A, x.B * y.B, x.C * y.C, x.D * y.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator /(Lanes128 x, Lanes128 y) => new(x.A / y.A, x.B / y.B, x.C / y.C, x.D / y.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 And(Lanes128 x, Lanes128 y) => new(x.A & y.A, x.B & y.B, x.C & y.C, x.D & y.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 MultiplyAdd(Lanes128 x, Lanes128 y, Lanes128 z) =>
        new(Vector128.FusedMultiplyAdd(x.A, y.A, z.A), Vector128.FusedMultiplyAdd(x.B, y.B, z.B),
            Vector128.FusedMultiplyAdd(x.C, y.C, z.C), Vector128.FusedMultiplyAdd(x.D, y.D, z.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Max(Lanes128 x, Lanes128 y) =>
        new(Vector128.Max(x.A, y.A), Vector128.Max(x.B, y.B), Vector128.Max(x.C, y.C), Vector128.Max(x.D, y.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Lanes128 value)
    {
        var q = Vector128.Max(Vector128.Max(value.A, value.B), Vector128.Max(value.C, value.D));
        return MathF.Max(MathF.Max(q.GetElement(0), q.GetElement(1)), MathF.Max(q.GetElement(2), q.GetElement(3)));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Lanes128 value) => LaneSum.Of16(value.A, value.B, value.C, value.D);
    public static void SumEach(Lanes128* values, float* destination)
    {
        for (int i = 0; i < 16; i++) destination[i] = Sum(values[i]);
    }

    public static Lanes128 ScaleByPowerOfTwo(Lanes128 j, Lanes128 n)
    {
        float* a = stackalloc float[16];
        float* b = stackalloc float[16];
        Store(j, a);
        Store(n, b);
        for (int i = 0; i < 16; i++) a[i] = GgmlExp.ScaleByPowerOfTwo(a[i], b[i]);
        return Load(a);
    }
}
