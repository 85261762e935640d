using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Core;

/// <summary>
/// Training checkpoints: the states of named modules and named optimizers (momentum buffers, Adam moments,
/// learning rates), the epoch number and free JSON metadata, in one file written atomically.
/// </summary>
/// <remarks>
/// <para>Layout: the 8-byte signature <c>APCKPT01</c>, an int32 format version, the payload, and the SHA-256 of the
/// payload (32 bytes). The payload is a JSON header (UTF-8, length-prefixed) followed by sections, each
/// <c>kind (byte), name (string), length (int64), bytes</c>; a module section is TorchSharp's <c>Module.save</c>
/// format, an optimizer section is <c>OptimizerHelper.save_state_dict</c>'s. The checksum is verified before
/// anything is loaded, so a truncated or damaged file never half-loads a model.</para>
/// <para>Loading a trained model for evaluation or prediction:
/// <code>var model = new LeNet5(10); Checkpoint.LoadModule("runs/x/checkpoints/best.ckpt", model);</code></para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The module name used for a single-model task (e.g. classification).</summary>
    public const string DefaultModuleName = "model";

    /// <summary>The file format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    private static readonly byte[] Signature = "APCKPT01"u8.ToArray();
    private const byte ModuleKind = 1;
    private const byte OptimizerKind = 2;
    private const int HashLength = 32;

    /// <summary>Most sections (modules and optimizers) a checkpoint may declare; more means an edited header.</summary>
    public const int MaxSections = 4096;

    /// <summary>
    /// Writes a checkpoint atomically (temporary file, then rename): a crash or an exception while writing leaves any
    /// previous file at <paramref name="path"/> unchanged and no partial file behind.
    /// </summary>
    /// <param name="path">Target file.</param>
    /// <param name="epoch">Completed epochs (1-based).</param>
    /// <param name="modules">Modules to save by name; their parameters and buffers are stored on CPU in their own dtype.</param>
    /// <param name="optimizers">Optimizers to save by name (may be null or empty).</param>
    /// <param name="metadata">Free JSON stored in the header (may be null).</param>
    public static void Save(
        string path,
        int epoch,
        IReadOnlyDictionary<string, nn.Module> modules,
        IReadOnlyDictionary<string, OptimizerHelper>? optimizers = null,
        JsonObject? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(modules);
        optimizers ??= new Dictionary<string, OptimizerHelper>();
        var header = new JsonObject
        {
            ["format"] = "aperture-checkpoint",
            ["version"] = FormatVersion,
            ["epoch"] = epoch,
            ["created"] = DateTime.UtcNow.ToString("O"),
            ["modules"] = new JsonArray(modules.Keys.Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            ["optimizers"] = new JsonArray(optimizers.Keys.Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            ["metadata"] = metadata?.DeepClone() ?? new JsonObject(),
        };

        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(header.ToJsonString());
            w.Write(modules.Count + optimizers.Count);
            foreach (var (name, module) in modules)
                WriteSection(w, ModuleKind, name, bw => module.save(bw));
            foreach (var (name, optimizer) in optimizers)
                WriteSection(w, OptimizerKind, name, bw => optimizer.save_state_dict(bw));
        }

        WriteFile(path, payload);
    }

    private static void WriteFile(string path, MemoryStream payload)
    {
        byte[] body = payload.GetBuffer();
        int bodyLength = (int)payload.Length;
        byte[] hash = SHA256.HashData(body.AsSpan(0, bodyLength));
        AtomicFile.Write(path, s =>
        {
            s.Write(Signature);
            s.Write(BitConverter.GetBytes(FormatVersion));
            s.Write(body, 0, bodyLength);
            s.Write(hash);
        });
    }

    /// <summary>
    /// Adds (or replaces) module states in an existing checkpoint, keeping everything else it holds (other modules,
    /// optimizer states, epoch, metadata), atomically. For methods with a stage after the trainer's epochs, e.g. R-CNN's
    /// SVMs and box regressors trained on the fine-tuned network's features.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged.</exception>
    public static void AddModules(string path, IReadOnlyDictionary<string, nn.Module> modules) => Rewrite(path, modules, null);

    /// <summary>
    /// Sets (or, with null, removes) one metadata entry of an existing checkpoint, keeping everything else it holds,
    /// atomically. For a resumed run whose options changed: its card must say what the model now runs with.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged.</exception>
    public static void SetMetadata(string path, string key, JsonNode? value) =>
        Rewrite(path, new Dictionary<string, nn.Module>(), m => { if (value is null) m.Remove(key); else m[key] = value.DeepClone(); });

    private static void Rewrite(string path, IReadOnlyDictionary<string, nn.Module> modules, Action<JsonObject>? editMetadata)
    {
        var parsed = Parse(path);
        var metadata = parsed.Info.Metadata.DeepClone().AsObject();
        editMetadata?.Invoke(metadata);
        var kept = parsed.Sections.Where(s => !(s.Kind == ModuleKind && modules.ContainsKey(s.Name))).ToList();
        var moduleNames = kept.Where(s => s.Kind == ModuleKind).Select(s => s.Name).Concat(modules.Keys);
        var header = new JsonObject
        {
            ["format"] = "aperture-checkpoint",
            ["version"] = FormatVersion,
            ["epoch"] = parsed.Info.Epoch,
            ["created"] = DateTime.UtcNow.ToString("O"),
            ["modules"] = new JsonArray(moduleNames.Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            ["optimizers"] = new JsonArray(kept.Where(s => s.Kind == OptimizerKind).Select(s => (JsonNode)JsonValue.Create(s.Name)!).ToArray()),
            ["metadata"] = metadata,
        };
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(header.ToJsonString());
            w.Write(kept.Count + modules.Count);
            foreach (var section in kept)
                WriteSection(w, section.Kind, section.Name, bw => bw.Write(parsed.Bytes, section.Offset, section.Length));
            foreach (var (name, module) in modules)
                WriteSection(w, ModuleKind, name, bw => module.save(bw));
        }
        WriteFile(path, payload);
    }

    /// <summary>Reads and verifies a checkpoint's header without loading any tensor.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is truncated, or is damaged; the message names the file.</exception>
    public static CheckpointInfo ReadInfo(string path) => Parse(path).Info;

    /// <summary>
    /// Loads one module's parameters and buffers from a checkpoint into <paramref name="module"/> (which must have the
    /// same architecture). This is how <c>aperture eval</c>/<c>predict</c> restore a trained model.
    /// </summary>
    /// <param name="path">Checkpoint file.</param>
    /// <param name="module">The module to fill; it stays on its device.</param>
    /// <param name="name">Module name inside the checkpoint (<see cref="DefaultModuleName"/> for classification).</param>
    /// <returns>The checkpoint's header.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, has no such module, or the module does not match.</exception>
    public static CheckpointInfo LoadModule(string path, nn.Module module, string name = DefaultModuleName)
    {
        var parsed = Parse(path);
        LoadModuleSection(parsed, name, module);
        return parsed.Info;
    }

    /// <summary>
    /// The parameters and buffers of one module stored in a checkpoint, by name (e.g. <c>c1.weight</c>), on the CPU,
    /// without building the model: what <c>aperture weights export</c> writes out.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or has no such module.</exception>
    public static Dictionary<string, Tensor> ReadModuleState(string path, string name = DefaultModuleName)
    {
        var parsed = Parse(path);
        var section = parsed.Find(ModuleKind, name, "module");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(parsed.Bytes, section.Offset, section.Length, writable: false));
            return Weights.ModuleStateFormat.Read(reader);
        }
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"checkpoint '{parsed.Info.Path}': module '{name}' is damaged: {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads every given module and optimizer from a checkpoint (all must be present in the file), e.g. to resume
    /// training. The checksum is verified first, so a damaged file changes nothing.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, misses a named state, or a state does not match.</exception>
    public static CheckpointInfo Load(
        string path,
        IReadOnlyDictionary<string, nn.Module> modules,
        IReadOnlyDictionary<string, OptimizerHelper>? optimizers = null)
    {
        var parsed = Parse(path);
        foreach (var (name, module) in modules)
            LoadModuleSection(parsed, name, module);
        foreach (var (name, optimizer) in optimizers ?? new Dictionary<string, OptimizerHelper>())
        {
            var section = parsed.Find(OptimizerKind, name, "optimizer");
            // Optimizer states that did not exist yet (e.g. a momentum buffer before the first step) are created by the
            // load; they belong to the optimizer, so they must not be disposed by a scope the caller happens to be in.
            using var scope = NewDisposeScope();
            try
            {
                using var reader = new BinaryReader(new MemoryStream(parsed.Bytes, section.Offset, section.Length, writable: false));
                optimizer.load_state_dict(reader);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException)
            {
                throw new InvalidDataException($"checkpoint '{path}': optimizer '{name}' does not match this optimizer: {e.Message}", e);
            }
            finally
            {
                scope.Detach(scope.DisposablesView.ToList());
            }
        }
        return parsed.Info;
    }

    private static void WriteSection(BinaryWriter w, byte kind, string name, Action<BinaryWriter> write)
    {
        using var section = new MemoryStream();
        using (var bw = new BinaryWriter(section, Encoding.UTF8, leaveOpen: true))
        {
            write(bw);
            bw.Flush();
        }
        w.Write(kind);
        w.Write(name);
        w.Write(section.Length);
        w.Write(section.GetBuffer(), 0, (int)section.Length);
    }

    private static void LoadModuleSection(Parsed parsed, string name, nn.Module module)
    {
        var section = parsed.Find(ModuleKind, name, "module");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(parsed.Bytes, section.Offset, section.Length, writable: false));
            module.load(reader, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"checkpoint '{parsed.Info.Path}': module '{name}' does not match the given model or is damaged: {e.Message}", e);
        }
    }

    private sealed record Section(byte Kind, string Name, int Offset, int Length);

    private sealed record Parsed(CheckpointInfo Info, byte[] Bytes, IReadOnlyList<Section> Sections)
    {
        public Section Find(byte kind, string name, string what) =>
            Sections.FirstOrDefault(s => s.Kind == kind && s.Name == name)
            ?? throw new InvalidDataException(
                $"checkpoint '{Info.Path}' has no {what} named '{name}' (it holds {what}s: " +
                $"{string.Join(", ", Sections.Where(s => s.Kind == kind).Select(s => s.Name).DefaultIfEmpty("none"))})");
    }

    private static Parsed Parse(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"checkpoint '{full}' does not exist", full);
        byte[] bytes = File.ReadAllBytes(full);
        int start = Signature.Length + sizeof(int);
        if (bytes.Length < start + HashLength || !bytes.AsSpan(0, Signature.Length).SequenceEqual(Signature))
            throw new InvalidDataException($"checkpoint '{full}' is not an Aperture checkpoint (missing 'APCKPT01' signature; {bytes.Length} bytes)");
        int version = BitConverter.ToInt32(bytes, Signature.Length);
        if (version != FormatVersion)
            throw new InvalidDataException($"checkpoint '{full}' has format version {version}; this build reads version {FormatVersion}");
        int bodyLength = bytes.Length - start - HashLength;
        byte[] hash = SHA256.HashData(bytes.AsSpan(start, bodyLength));
        if (!hash.AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
            throw new InvalidDataException($"checkpoint '{full}' is corrupt: its SHA-256 checksum does not match its content (truncated or damaged file)");

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, start, bodyLength, writable: false), Encoding.UTF8);
            var header = JsonNode.Parse(reader.ReadString())?.AsObject()
                ?? throw new InvalidDataException("empty header");
            int count = reader.ReadInt32();
            // Each section takes at least its kind, a name and a length: a count the file cannot hold is an edited header.
            const int minSectionBytes = 1 + 1 + sizeof(long);
            if (count < 1 || count > MaxSections || count > bodyLength / minSectionBytes)
                throw new InvalidDataException($"the header declares {count} sections; a checkpoint holds 1 to {Math.Min(MaxSections, bodyLength / minSectionBytes)}");
            var sections = new List<Section>(count);
            for (int i = 0; i < count; i++)
            {
                byte kind = reader.ReadByte();
                string name = reader.ReadString();
                long length = reader.ReadInt64();
                long offset = start + reader.BaseStream.Position;
                if (length <= 0 || length > start + bodyLength - offset)
                    throw new InvalidDataException($"section '{name}' declares {length} bytes; it must be 1 to the {start + bodyLength - offset} bytes left in the file");
                sections.Add(new Section(kind, name, (int)offset, (int)length));
                reader.BaseStream.Seek(length, SeekOrigin.Current);
            }
            int epoch = header["epoch"]!.GetValue<int>();
            if (epoch < 0) throw new InvalidDataException($"the header gives epoch {epoch}; it must be 0 or more");
            var info = new CheckpointInfo(
                full,
                epoch,
                sections.Where(s => s.Kind == ModuleKind).Select(s => s.Name).ToList(),
                sections.Where(s => s.Kind == OptimizerKind).Select(s => s.Name).ToList(),
                header["metadata"]?.DeepClone().AsObject() ?? new JsonObject());
            return new Parsed(info, bytes, sections);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException or InvalidOperationException or NullReferenceException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"checkpoint '{full}' is corrupt: {e.Message}", e);
        }
    }
}
