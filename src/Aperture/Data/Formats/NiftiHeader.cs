using System.Buffers.Binary;
using System.Text;

namespace Aperture.Data.Formats;

/// <summary>
/// The fields of a NIfTI-1 header (nifti1.h, 348 bytes) that a reader of voxel data needs, with their byte offsets in
/// the comments; the ANALYZE-era fields NIfTI-1 leaves unused are written as zeros. Spatial axes are NIfTI's:
/// i (dim[1], fastest in the file), j (dim[2]), k (dim[3]); <see cref="NiftiFile"/> returns data as <c>[k, j, i]</c> =
/// <c>[D, H, W]</c>, which is the file's byte order read as a C (row-major) array.
/// </summary>
public sealed record NiftiHeader
{
    /// <summary>sizeof_hdr (offset 0): always 348 for NIfTI-1.</summary>
    public const int Size = 348;

    /// <summary>dim[8] (offset 40): dim[0] the number of dimensions, dim[1..7] their sizes.</summary>
    public short[] Dim { get; init; } = [3, 1, 1, 1, 1, 1, 1, 1];

    /// <summary>datatype (offset 70).</summary>
    public NiftiDataType DataType { get; init; } = NiftiDataType.Float32;

    /// <summary>pixdim[8] (offset 76): pixdim[0] is qfac (±1, the handedness of the qform), pixdim[1..3] the voxel spacing.</summary>
    public float[] PixDim { get; init; } = [1, 1, 1, 1, 1, 1, 1, 1];

    /// <summary>vox_offset (offset 108): where the voxels start in a <c>.nii</c> file (352 when there are no extensions).</summary>
    public float VoxOffset { get; init; } = 352;

    /// <summary>scl_slope (offset 112): stored values are multiplied by it on read; 0 means no scaling.</summary>
    public float SclSlope { get; init; }

    /// <summary>scl_inter (offset 116): added after the slope.</summary>
    public float SclInter { get; init; }

    /// <summary>xyzt_units (offset 123): spatial and time units (10 = mm and seconds).</summary>
    public byte XyztUnits { get; init; } = 10;

    /// <summary>descrip (offset 148, 80 bytes): free text.</summary>
    public string Description { get; init; } = "";

    /// <summary>qform_code (offset 252): 0 none, 1 scanner, 2 aligned, 3 Talairach, 4 MNI.</summary>
    public short QformCode { get; init; }

    /// <summary>sform_code (offset 254), codes as <see cref="QformCode"/>.</summary>
    public short SformCode { get; init; }

    /// <summary>quatern_b, quatern_c, quatern_d (offsets 256, 260, 264): the qform rotation (a is implied).</summary>
    public float[] Quaternion { get; init; } = [0, 0, 0];

    /// <summary>qoffset_x, qoffset_y, qoffset_z (offsets 268, 272, 276): the qform translation.</summary>
    public float[] QOffset { get; init; } = [0, 0, 0];

    /// <summary>srow_x, srow_y, srow_z (offsets 280, 296, 312): the rows of the sform's 3x4 affine.</summary>
    public float[][] SRows { get; init; } = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];

    /// <summary>Whether the file was big-endian (set on read; files are written little-endian).</summary>
    public bool BigEndian { get; init; }

    /// <summary>The voxel grid's sizes (i, j, k) = (W, H, D); 1 for a missing axis.</summary>
    public (int I, int J, int K) Extent => (Dim[0] >= 1 ? Dim[1] : 1, Dim[0] >= 2 ? Dim[2] : 1, Dim[0] >= 3 ? Dim[3] : 1);

    /// <summary>
    /// The 4x4 voxel-to-world affine (row-major; world = A · (i, j, k, 1)): the sform rows when <see cref="SformCode"/>
    /// &gt; 0, else the qform (rotation from the quaternion, spacing from pixdim, qfac flipping k, translation from the
    /// offsets) when <see cref="QformCode"/> &gt; 0, else the spacing alone (nifti1.h's "method 1").
    /// </summary>
    public double[,] Affine()
    {
        if (SformCode > 0)
            return new double[,]
            {
                { SRows[0][0], SRows[0][1], SRows[0][2], SRows[0][3] },
                { SRows[1][0], SRows[1][1], SRows[1][2], SRows[1][3] },
                { SRows[2][0], SRows[2][1], SRows[2][2], SRows[2][3] },
                { 0, 0, 0, 1 },
            };
        if (QformCode > 0) return QformAffine();
        return new double[,] { { PixDim[1], 0, 0, 0 }, { 0, PixDim[2], 0, 0 }, { 0, 0, PixDim[3], 0 }, { 0, 0, 0, 1 } };
    }

    /// <summary>The qform's affine, whatever the codes say.</summary>
    public double[,] QformAffine()
    {
        double b = Quaternion[0], c = Quaternion[1], d = Quaternion[2];
        double aa = 1 - (b * b + c * c + d * d);
        double a;
        if (aa < 1e-7)
        {
            // a rounds to 0: renormalise (b, c, d) to a unit quaternion, as nifti1.h prescribes
            double n = Math.Sqrt(b * b + c * c + d * d);
            a = 0; b /= n; c /= n; d /= n;
        }
        else a = Math.Sqrt(aa);
        double qfac = PixDim[0] < 0 ? -1 : 1;
        double sx = PixDim[1], sy = PixDim[2], sz = PixDim[3] * qfac;
        return new double[,]
        {
            { (a * a + b * b - c * c - d * d) * sx, 2 * (b * c - a * d) * sy, 2 * (b * d + a * c) * sz, QOffset[0] },
            { 2 * (b * c + a * d) * sx, (a * a + c * c - b * b - d * d) * sy, 2 * (c * d - a * b) * sz, QOffset[1] },
            { 2 * (b * d - a * c) * sx, 2 * (c * d + a * b) * sy, (a * a + d * d - c * c - b * b) * sz, QOffset[2] },
            { 0, 0, 0, 1 },
        };
    }

    /// <summary>
    /// A header for a <c>[D, H, W]</c> volume with voxel-to-world <paramref name="affine"/> (null: 1 mm isotropic at
    /// the origin), written as the sform (code 2, "aligned") and, when its 3x3 part is a rotation times a positive
    /// diagonal, also as the qform (same code) with the spacing in pixdim.
    /// </summary>
    /// <param name="depth">D = dim[3] (k).</param>
    /// <param name="height">H = dim[2] (j).</param>
    /// <param name="width">W = dim[1] (i).</param>
    /// <param name="type">The datatype to store.</param>
    /// <param name="affine">4x4 voxel-to-world affine, row-major, or null.</param>
    /// <exception cref="ArgumentException">A size outside 1..32767, or an affine that is not 4x4 with a last row (0, 0, 0, 1).</exception>
    public static NiftiHeader ForVolume(int depth, int height, int width, NiftiDataType type, double[,]? affine = null)
    {
        foreach (int s in new[] { depth, height, width })
            if (s is < 1 or > short.MaxValue) throw new ArgumentException($"NIfTI: volume side {s} must be in 1..{short.MaxValue}");
        affine ??= new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } };
        if (affine.GetLength(0) != 4 || affine.GetLength(1) != 4 || affine[3, 0] != 0 || affine[3, 1] != 0 || affine[3, 2] != 0 || affine[3, 3] != 1)
            throw new ArgumentException("NIfTI: the affine must be 4x4 with last row (0, 0, 0, 1)");
        var rows = Enumerable.Range(0, 3).Select(r => Enumerable.Range(0, 4).Select(c => (float)affine[r, c]).ToArray()).ToArray();
        var header = new NiftiHeader
        {
            Dim = [3, (short)width, (short)height, (short)depth, 1, 1, 1, 1],
            DataType = type,
            SformCode = 2,
            SRows = rows,
        };
        return FromQform(header, affine) ?? header;
    }

    /// <summary>The header with its qform set from <paramref name="affine"/>, or null when the 3x3 part is not a rotation
    /// (possibly improper) times a diagonal of positive spacings (sheared affines have only an sform).</summary>
    private static NiftiHeader? FromQform(NiftiHeader header, double[,] affine)
    {
        var m = new double[3, 3];
        var spacing = new double[3];
        for (int c = 0; c < 3; c++)
        {
            spacing[c] = Math.Sqrt(affine[0, c] * affine[0, c] + affine[1, c] * affine[1, c] + affine[2, c] * affine[2, c]);
            if (!(spacing[c] > 0)) return null;
            for (int r = 0; r < 3; r++) m[r, c] = affine[r, c] / spacing[c];
        }
        for (int p = 0; p < 3; p++)
            for (int q = p + 1; q < 3; q++)
                if (Math.Abs(m[0, p] * m[0, q] + m[1, p] * m[1, q] + m[2, p] * m[2, q]) > 1e-4) return null;
        double det = m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1]) - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
        float qfac = 1;
        if (det < 0)
        {
            qfac = -1;
            for (int r = 0; r < 3; r++) m[r, 2] = -m[r, 2];
        }
        var (b, c2, d) = RotationToQuaternion(m);
        var pix = (float[])header.PixDim.Clone();
        pix[0] = qfac; pix[1] = (float)spacing[0]; pix[2] = (float)spacing[1]; pix[3] = (float)spacing[2];
        return header with
        {
            QformCode = header.SformCode,
            PixDim = pix,
            Quaternion = [(float)b, (float)c2, (float)d],
            QOffset = [(float)affine[0, 3], (float)affine[1, 3], (float)affine[2, 3]],
        };
    }

    /// <summary>(b, c, d) of the unit quaternion with a ≥ 0 of a proper rotation matrix, from its largest diagonal combination (stable for every angle).</summary>
    private static (double B, double C, double D) RotationToQuaternion(double[,] r)
    {
        double trace = r[0, 0] + r[1, 1] + r[2, 2];
        double a, b, c, d;
        if (trace > -0.5)
        {
            a = 0.5 * Math.Sqrt(1 + trace);
            b = (r[2, 1] - r[1, 2]) / (4 * a); c = (r[0, 2] - r[2, 0]) / (4 * a); d = (r[1, 0] - r[0, 1]) / (4 * a);
        }
        else if (r[0, 0] >= r[1, 1] && r[0, 0] >= r[2, 2])
        {
            b = 0.5 * Math.Sqrt(1 + r[0, 0] - r[1, 1] - r[2, 2]);
            a = (r[2, 1] - r[1, 2]) / (4 * b); c = (r[0, 1] + r[1, 0]) / (4 * b); d = (r[0, 2] + r[2, 0]) / (4 * b);
        }
        else if (r[1, 1] >= r[2, 2])
        {
            c = 0.5 * Math.Sqrt(1 + r[1, 1] - r[0, 0] - r[2, 2]);
            a = (r[0, 2] - r[2, 0]) / (4 * c); b = (r[0, 1] + r[1, 0]) / (4 * c); d = (r[1, 2] + r[2, 1]) / (4 * c);
        }
        else
        {
            d = 0.5 * Math.Sqrt(1 + r[2, 2] - r[0, 0] - r[1, 1]);
            a = (r[1, 0] - r[0, 1]) / (4 * d); b = (r[0, 2] + r[2, 0]) / (4 * d); c = (r[1, 2] + r[2, 1]) / (4 * d);
        }
        return a < 0 ? (-b, -c, -d) : (b, c, d);
    }

    /// <summary>Parses the 348 header bytes; the byte order is the one in which sizeof_hdr reads 348.</summary>
    /// <param name="bytes">At least 348 bytes.</param>
    /// <param name="file">The file, for messages.</param>
    /// <exception cref="InvalidDataException">sizeof_hdr is 348 in neither byte order, or the magic is not NIfTI-1's single-file "n+1".</exception>
    public static NiftiHeader Parse(ReadOnlySpan<byte> bytes, string file)
    {
        if (bytes.Length < Size) throw new InvalidDataException($"{file}: {bytes.Length} bytes, but a NIfTI-1 header alone is {Size}");
        bool big;
        if (BinaryPrimitives.ReadInt32LittleEndian(bytes) == Size) big = false;
        else if (BinaryPrimitives.ReadInt32BigEndian(bytes) == Size) big = true;
        else throw new InvalidDataException($"{file}: not a NIfTI-1 file (sizeof_hdr is {BinaryPrimitives.ReadInt32LittleEndian(bytes)}, not {Size} in either byte order)");
        string magic = Encoding.ASCII.GetString(bytes.Slice(344, 3));
        if (magic == "ni1")
            throw new InvalidDataException($"{file}: a NIfTI-1 header of a .hdr/.img pair (magic \"ni1\"); only single .nii/.nii.gz files are read — convert it (e.g. with nibabel or fslchfiletype)");
        if (magic != "n+1" || bytes[347] != 0)
            throw new InvalidDataException($"{file}: the magic at byte 344 is not NIfTI-1's \"n+1\" (an ANALYZE 7.5 or NIfTI-2 file?)");
        byte[] s = bytes[..Size].ToArray();
        short I16(int o) => big ? BinaryPrimitives.ReadInt16BigEndian(s.AsSpan(o)) : BinaryPrimitives.ReadInt16LittleEndian(s.AsSpan(o));
        float F32(int o) => big ? BinaryPrimitives.ReadSingleBigEndian(s.AsSpan(o)) : BinaryPrimitives.ReadSingleLittleEndian(s.AsSpan(o));
        var dim = new short[8];
        for (int i = 0; i < 8; i++) dim[i] = I16(40 + 2 * i);
        var pix = new float[8];
        for (int i = 0; i < 8; i++) pix[i] = F32(76 + 4 * i);
        short datatype = I16(70), bitpix = I16(72);
        if (!NiftiDataTypes.IsSupported(datatype))
            throw new InvalidDataException($"{file}: datatype {datatype} is not supported (read: uint8 2, int16 4, int32 8, float32 16, float64 64, int8 256, uint16 512)");
        var type = (NiftiDataType)datatype;
        if (bitpix != NiftiDataTypes.Bits(type))
            throw new InvalidDataException($"{file}: bitpix {bitpix} does not match datatype {type} ({NiftiDataTypes.Bits(type)} bits)");
        int descEnd = bytes.Slice(148, 80).IndexOf((byte)0);
        return new NiftiHeader
        {
            Dim = dim,
            DataType = type,
            PixDim = pix,
            VoxOffset = F32(108),
            SclSlope = F32(112),
            SclInter = F32(116),
            XyztUnits = bytes[123],
            Description = Encoding.ASCII.GetString(bytes.Slice(148, descEnd < 0 ? 80 : descEnd)),
            QformCode = I16(252),
            SformCode = I16(254),
            Quaternion = [F32(256), F32(260), F32(264)],
            QOffset = [F32(268), F32(272), F32(276)],
            SRows = Enumerable.Range(0, 3).Select(r => Enumerable.Range(0, 4).Select(c => F32(280 + 16 * r + 4 * c)).ToArray()).ToArray(),
            BigEndian = big,
        };
    }

    /// <summary>The 348 header bytes, little-endian, with magic "n+1".</summary>
    public byte[] ToBytes()
    {
        var b = new byte[Size];
        var s = b.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(s, Size);
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteInt16LittleEndian(s.Slice(40 + 2 * i), Dim[i]);
        BinaryPrimitives.WriteInt16LittleEndian(s.Slice(70), (short)DataType);
        BinaryPrimitives.WriteInt16LittleEndian(s.Slice(72), (short)NiftiDataTypes.Bits(DataType));
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteSingleLittleEndian(s.Slice(76 + 4 * i), PixDim[i]);
        BinaryPrimitives.WriteSingleLittleEndian(s.Slice(108), VoxOffset);
        BinaryPrimitives.WriteSingleLittleEndian(s.Slice(112), SclSlope);
        BinaryPrimitives.WriteSingleLittleEndian(s.Slice(116), SclInter);
        b[123] = XyztUnits;
        var desc = Encoding.ASCII.GetBytes(Description);
        desc.AsSpan(0, Math.Min(desc.Length, 79)).CopyTo(s.Slice(148));
        BinaryPrimitives.WriteInt16LittleEndian(s.Slice(252), QformCode);
        BinaryPrimitives.WriteInt16LittleEndian(s.Slice(254), SformCode);
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteSingleLittleEndian(s.Slice(256 + 4 * i), Quaternion[i]);
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteSingleLittleEndian(s.Slice(268 + 4 * i), QOffset[i]);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) BinaryPrimitives.WriteSingleLittleEndian(s.Slice(280 + 16 * r + 4 * c), SRows[r][c]);
        "n+1"u8.CopyTo(s.Slice(344));
        return b;
    }
}
