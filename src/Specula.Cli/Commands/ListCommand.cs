using System.CommandLine;
using Specula.Hub;

namespace Specula.Cli.Commands;

/// <summary><c>specula list</c>: the models in the local store, one per line (repository, file, size).</summary>
public static class ListCommand
{
    public static Command Create() => Create(HubOptions.FromEnvironment);

    /// <param name="options">Supplies the store location when the command runs (tests pass their own).</param>
    public static Command Create(Func<HubOptions> options)
    {
        var command = new Command("list", "List the models in the local model store ($SPECULA_MODELS, default ~/.cache/specula/models).");
        command.Aliases.Add("ls");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var store = new ModelStore(options().StoreRoot);
            var models = store.List();
            if (models.Count == 0)
            {
                output.WriteLine($"no models in {store.Root}; add one with: specula pull OWNER/REPO[:QUANT]");
                return 0;
            }

            var rows = models.Select(m => (Repo: m.RepoId, File: FileColumn(m), Size: DownloadProgressBar.Size(m.Size))).ToList();
            int repoWidth = Math.Max("REPO".Length, rows.Max(r => r.Repo.Length));
            int fileWidth = Math.Max("FILE".Length, rows.Max(r => r.File.Length));
            output.WriteLine($"{"REPO".PadRight(repoWidth)}  {"FILE".PadRight(fileWidth)}  SIZE");
            foreach (var (repo, file, size) in rows)
                output.WriteLine($"{repo.PadRight(repoWidth)}  {file.PadRight(fileWidth)}  {size,10}");
            return 0;
        });
        return command;
    }

    static string FileColumn(StoredModel model) =>
        model.IsComplete ? model.DisplayName : $"{model.DisplayName} [incomplete: {model.Files.Parts.Count} of {model.Files.PartCount} parts; pull again]";
}
