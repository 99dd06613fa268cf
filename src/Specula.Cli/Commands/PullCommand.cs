using System.CommandLine;
using Specula.Hub;

namespace Specula.Cli.Commands;

/// <summary><c>specula pull OWNER/REPO[:FILE_OR_QUANT]</c>: downloads a GGUF model into the local store.</summary>
public static class PullCommand
{
    public static Command Create() => Create(HubOptions.FromEnvironment);

    /// <param name="options">Supplies hub and store settings when the command runs (tests pass their own).</param>
    public static Command Create(Func<HubOptions> options)
    {
        var model = new Argument<string>("model")
        {
            Description = "Hub model as OWNER/REPO, OWNER/REPO:QUANT (e.g. Q4_K_M) or OWNER/REPO:FILE.gguf",
        };
        var command = new Command("pull",
            "Download a GGUF model from Hugging Face into the local model store ($SPECULA_MODELS, default ~/.cache/specula/models). " +
            "Set HF_TOKEN for gated repositories; HF_ENDPOINT changes the hub address.")
        {
            model,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (!HubModelSpec.TryParse(parse.GetValue(model), out var spec))
                throw new CliException($"'{parse.GetValue(model)}' is not a hub model name; expected OWNER/REPO[:QUANT or :FILE.gguf]");

            var settings = options();
            var store = new ModelStore(settings.StoreRoot);
            using var hub = new HubClient(settings);
            var result = await new ModelPuller(hub, store).PullAsync(spec, DownloadProgressBar.ForConsole(error), cancellationToken);

            if (spec.Selector == null) error.WriteLine(result.Reason);
            error.WriteLine(result.FilesDownloaded == 0
                ? $"{spec.RepoId}: {result.Model.DisplayName} is already in the store"
                : $"{spec.RepoId}: {result.Model.DisplayName} pulled ({DownloadProgressBar.Size(result.Model.Size)})");
            output.WriteLine(result.Model.Path);
            return 0;
        });
        return command;
    }
}
