package org.crate4j.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.analysis.AnalysisArrays;
import org.crate4j.analysis.OnPatchGrid;
import org.crate4j.checkpoint.RawTensor;
import picocli.CommandLine.Option;

/**
 * The results of attention, pca and segment as data: one JSON document per image on stdout
 * ({@code --json}, which then is all stdout carries) and one safetensors file of arrays per image
 * ({@code --save-arrays}). Both are checked before the model loads, so a bad option costs nothing.
 */
final class AnalysisOutput {
    @Option(names = "--json", description = "print one JSON document per image (JSON lines) on stdout instead of writing pictures; "
            + "nothing else goes to stdout")
    boolean json;

    @Option(names = "--save-arrays", paramLabel = "DIR",
            description = "also save each image's arrays as DIR/<image>_<command>.safetensors (float32 maps, bool masks), for numpy/PyTorch")
    Path arrays;

    /**
     * Fails with one line when the options contradict each other or DIR cannot hold files.
     *
     * @param out the --out the user gave, or null
     */
    void check(Path out, List<Path> images) {
        if (json && out != null) {
            throw new CrateException("--json prints the results on stdout instead of writing pictures: drop --out " + out
                    + ", or drop --json to get the pictures");
        }
        if (arrays == null) {
            return;
        }
        if (Files.exists(arrays) && !Files.isDirectory(arrays)) {
            throw new CrateException("--save-arrays " + arrays + " is a file, not a folder: give a folder to write <image>_*.safetensors into");
        }
        try {
            Files.createDirectories(arrays);
        } catch (IOException e) {
            throw new CrateException("--save-arrays " + arrays + ": cannot create the folder (" + e.getMessage() + "); give a writable folder");
        }
        if (!Files.isWritable(arrays)) {
            throw new CrateException("--save-arrays " + arrays + " is not writable: give a folder you can write to");
        }
        Map<String, Path> byName = new HashMap<>();
        for (Path p : images) {
            Path other = byName.put(InputImage.baseName(p), p);
            if (other != null && !other.equals(p)) {
                throw new CrateException("images " + other + " and " + p + " share the name '" + InputImage.baseName(p)
                        + "', so their arrays would overwrite each other in " + arrays + ": rename one");
            }
        }
    }

    /** The pictures' folder: --out, or the command's default. */
    static Path pictures(Path out, String fallback) {
        return out != null ? out : Path.of(fallback);
    }

    /** One JSON document on one line. */
    void print(JsonObject document) {
        System.out.println(Json.LINE.toJson(document));
    }

    /** A progress message: stdout normally, stderr under --json so stdout stays pure JSON. */
    void say(String message) {
        (json ? System.err : System.out).println(message);
    }

    /** Writes DIR/&lt;image&gt;_&lt;kind&gt;.safetensors when --save-arrays is given (atomically). */
    void save(AnalysisJson.Provenance from, String kind, OnPatchGrid result, Map<String, RawTensor> values,
            Map<String, String> extra) {
        if (arrays == null) {
            return;
        }
        Map<String, String> metadata = new LinkedHashMap<>(from.metadata());
        metadata.putAll(extra);
        Path file = arrays.resolve(from.image().name() + "_" + kind + ".safetensors");
        AnalysisArrays.write(file, values, AnalysisArrays.metadata(kind, result, metadata));
        say("wrote " + file);
    }
}
