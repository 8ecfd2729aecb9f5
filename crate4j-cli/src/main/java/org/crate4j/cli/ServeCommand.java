package org.crate4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.crate4j.api.CrateModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"A local web page to look inside checkpoints: drop in an image and see the prediction, every head's class-token "
                + "attention at any layer, the PCA of the features, MaskCut and coarse masks, and the image's coding rate and sparsity per layer; "
                + "and the training curves of the runs.",
                "The server listens on 127.0.0.1 unless --host says otherwise, loads nothing from the internet, and reads only the --weights "
                        + "files and what lies under the --runs folders (checkpoints *.safetensors/*.pth, run folders with metrics.jsonl/metrics.csv). "
                        + "Stop it with Ctrl-C."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--weights", paramLabel = "FILE", description = "a checkpoint to offer (.safetensors or .pth; repeatable)")
    List<Path> weights = new ArrayList<>();

    @Option(names = "--runs", paramLabel = "DIR", description = "a folder searched for checkpoints and run folders (repeatable)")
    List<Path> runs = new ArrayList<>();

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE}, this machine only)")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8765", description = "port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--max-upload-mb", paramLabel = "MB", defaultValue = "20", description = "largest image accepted, in MB (default: ${DEFAULT-VALUE})")
    int maxUploadMb;

    @Option(names = "--models", paramLabel = "N", defaultValue = "2", description = "models kept loaded; the least recently used is closed (default: ${DEFAULT-VALUE})")
    int maxModels;

    @Option(names = "--model", paramLabel = "PRESET", description = "preset naming heads/channels when a .pth leaves them open (e.g. crate-tiny, crate-mae-base)")
    String model;

    @Option(names = "--heads", paramLabel = "N", defaultValue = "0", description = "number of heads, when neither a .pth nor --model says")
    int heads;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws InterruptedException {
        ExplorerServer server = start();
        System.out.println("crate serve: " + server.url() + "  (Ctrl-C stops it)");
        if (!server.loopbackOnly()) {
            System.out.println("crate serve: listening on " + host + ": anyone who can reach this machine can use the page");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    /** Checks the files, binds the port and starts serving (also how the tests start it). */
    ExplorerServer start() {
        runtime.device().require();
        ServedFiles files = new ServedFiles(weights, runs);
        runtime.apply();
        ModelCache models = new ModelCache(maxModels, this::load);
        return ExplorerServer.start(files, models, new ExplorerServer.Settings(host, port, (long) maxUploadMb << 20, maxModels));
    }

    private CrateModel load(Path file) {
        CrateModel.Builder b = CrateModel.builder().preset(model).device(runtime.device).precision(runtime.precision);
        if (heads > 0) {
            b.heads(heads);
        }
        return b.load(file);
    }
}
