package org.crate4j.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crate4j.CrateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds, installs or downloads the standard datasets. */
public final class DataHome {
    private static final Logger LOG = LoggerFactory.getLogger(DataHome.class);
    public static final String ENV_DATA = "CRATE4J_DATA";
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String APT_PACKAGE = "dataset-fashion-mnist";
    public static final URI FASHION_MNIST_URL = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
    public static final URI CIFAR10_URL = URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
    public static final String CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

    /**
     * SHA-256 of the decompressed idx files, taken from Debian's dataset-fashion-mnist. Debian re-gzipped the
     * upstream files, so the .gz MD5s published upstream (train-images 8d4fb7e6..., train-labels 25c81989...,
     * t10k-images bef4ecab..., t10k-labels bb300cfd...) do not match local copies; the content digest matches both.
     */
    static final Map<String, String> FASHION_PAYLOAD_SHA256 = Map.of(
            "train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34");

    private DataHome() {}

    /** {@code $CRATE4J_DATA}, else {@code ~/.crate4j/data}: where downloads go. */
    public static Path dataRoot() {
        String env = System.getenv(ENV_DATA);
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".crate4j", "data");
    }

    /** Search order when no directory is given. */
    public static List<Path> fashionMnistCandidates() {
        List<Path> out = new ArrayList<>();
        String env = System.getenv(ENV_DATA);
        if (env != null && !env.isBlank()) {
            out.add(Path.of(env, "fashion-mnist"));
        }
        out.add(Path.of(System.getProperty("user.home"), ".crate4j", "data", "fashion-mnist"));
        out.add(DEBIAN_FASHION_MNIST);
        return out;
    }

    /**
     * The explicit directory if given (it must hold all four idx files), else the first complete candidate.
     */
    public static Optional<Path> findFashionMnist(Path explicitDir) {
        if (explicitDir != null) {
            if (!MnistIdx.isComplete(explicitDir)) {
                throw new CrateException("Fashion-MNIST directory " + explicitDir + " lacks "
                        + MnistIdx.missing(explicitDir) + "; point it at a folder with all four idx files");
            }
            return Optional.of(explicitDir);
        }
        return firstComplete(fashionMnistCandidates());
    }

    static Optional<Path> firstComplete(List<Path> candidates) {
        return candidates.stream().filter(MnistIdx::isComplete).findFirst();
    }

    public static Path ensureFashionMnist(boolean allowInstall, boolean allowDownload) {
        return ensureFashionMnist(null, allowInstall, allowDownload);
    }

    /**
     * Finds Fashion-MNIST, else installs the Debian package (root with apt-get only), else downloads it
     * into {@code dataRoot()/fashion-mnist}, else throws a CrateException saying what to run.
     */
    public static Path ensureFashionMnist(Path explicitDir, boolean allowInstall, boolean allowDownload) {
        Optional<Path> found = findFashionMnist(explicitDir);
        if (found.isPresent()) {
            return found.get();
        }
        return obtainFashionMnist(fashionMnistCandidates(), dataRoot().resolve("fashion-mnist"), FASHION_MNIST_URL,
                allowInstall && isRoot() && Files.isExecutable(Path.of("/usr/bin/apt-get")), allowDownload);
    }

    static Path obtainFashionMnist(List<Path> searched, Path downloadDir, URI baseUrl, boolean install,
                                   boolean download) {
        if (install) {
            LOG.info("Fashion-MNIST not found; running apt-get install -y {}", APT_PACKAGE);
            if (apt("install", "-y", APT_PACKAGE) != 0) {
                LOG.warn("apt-get install failed; refreshing the package lists and retrying");
                apt("update");
                apt("install", "-y", APT_PACKAGE);
            }
            if (MnistIdx.isComplete(DEBIAN_FASHION_MNIST)) {
                return DEBIAN_FASHION_MNIST;
            }
            LOG.warn("apt-get did not provide {}", DEBIAN_FASHION_MNIST);
        }
        if (download) {
            downloadFashionMnist(baseUrl, downloadDir);
            return downloadDir;
        }
        throw new CrateException("Fashion-MNIST not found in " + searched + "; run `sudo apt-get install -y "
                + APT_PACKAGE + "`, or download the four " + String.join("/", MnistIdx.fileNames()) + " .gz files from "
                + baseUrl + " into " + downloadDir + ", or enable automatic download");
    }

    /** Downloads the missing .gz files into dir, each verified before it appears. */
    public static void downloadFashionMnist(URI baseUrl, Path dir) {
        String base = baseUrl.toString().endsWith("/") ? baseUrl.toString() : baseUrl + "/";
        for (String name : MnistIdx.fileNames()) {
            if (MnistIdx.find(dir, name) != null) {
                continue;
            }
            URI uri = URI.create(base + name + ".gz");
            LOG.info("downloading {} -> {}", uri, dir);
            Downloader.fetchGzip(uri, dir.resolve(name + ".gz"), FASHION_PAYLOAD_SHA256.get(name));
        }
    }

    /** CIFAR-10 binary: the explicit dir, else {@code dataRoot()/cifar-10}, downloading and extracting if allowed. */
    public static Path ensureCifar10(Path explicitDir, boolean allowDownload) {
        Path dir = explicitDir != null ? explicitDir : dataRoot().resolve("cifar-10");
        if (CifarBinary.looksLikeCifar(dir)) {
            return dir;
        }
        if (explicitDir != null || !allowDownload) {
            throw new CrateException("CIFAR-10 not found in " + dir + "; download " + CIFAR10_URL
                    + " and extract it there (tar xzf), or enable automatic download");
        }
        downloadCifar10(CIFAR10_URL, dir);
        return dir;
    }

    /** Fetches the archive (MD5-verified), extracts it into dir and deletes the archive. */
    public static void downloadCifar10(URI archiveUrl, Path dir) {
        Path archive = dir.resolve("cifar-10-binary.tar.gz");
        LOG.info("downloading {} -> {}", archiveUrl, archive);
        Downloader.fetch(archiveUrl, archive, CIFAR10_MD5);
        LOG.info("extracting {}", archive);
        TarGz.extract(archive, dir);
        try {
            Files.deleteIfExists(archive);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", archive, e.getMessage());
        }
    }

    static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int apt(String... args) {
        List<String> cmd = new ArrayList<>(List.of("apt-get"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        try {
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                r.lines().forEach(line -> LOG.info("  {}", line));
            }
            return p.waitFor();
        } catch (IOException e) {
            LOG.warn("cannot run apt-get: {}", e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
