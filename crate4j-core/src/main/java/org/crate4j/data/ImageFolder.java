package org.crate4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.crate4j.CrateException;

/**
 * torchvision-style ImageFolder: {@code root/<class>/**&#47;<image>}, classes in sorted folder-name order,
 * images decoded lazily to RGB.
 */
public final class ImageFolder implements Dataset {
    private final Path root;
    private final List<String> classes;
    private final List<Path> files;
    private final int[] labels;

    private ImageFolder(Path root, List<String> classes, List<Path> files, int[] labels) {
        this.root = root;
        this.classes = classes;
        this.files = files;
        this.labels = labels;
    }

    public static ImageFolder scan(Path root) {
        if (!Files.isDirectory(root)) {
            throw new CrateException("image folder " + root + " does not exist or is not a directory; "
                    + "pass a folder laid out as <root>/<class>/<image>.png");
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).filter(p -> !hidden(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new CrateException("cannot list image folder " + root + ": " + e.getMessage(), e);
        }
        if (classDirs.isEmpty()) {
            throw new CrateException("image folder " + root + " has no class subfolders; "
                    + "lay it out as <root>/<class>/<image>.png");
        }
        List<String> classes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path dir : classDirs) {
            List<Path> images = imagesUnder(dir);
            if (images.isEmpty()) {
                throw new CrateException("class folder " + dir + " contains no JPEG/PNG/BMP/GIF images; "
                        + "add images or remove the folder");
            }
            int label = classes.size();
            classes.add(dir.getFileName().toString());
            for (Path f : images) {
                files.add(f);
                labels.add(label);
            }
        }
        return new ImageFolder(root, List.copyOf(classes), List.copyOf(files),
                labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private static List<Path> imagesUnder(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !hidden(p)).filter(ImageFiles::isImageFile)
                    .sorted(Comparator.comparing(p -> dir.relativize(p).toString())).toList();
        } catch (IOException e) {
            throw new CrateException("cannot list class folder " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    public Path root() {
        return root;
    }

    public Path file(int index) {
        return files.get(index);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public Image image(int index) {
        return ImageFiles.readRgb(files.get(Objects.checkIndex(index, files.size())));
    }

    @Override
    public String source(int index) {
        return file(index).toString();
    }

    @Override
    public int label(int index) {
        return labels[Objects.checkIndex(index, labels.length)];
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    /** Always 3: every file is converted to RGB. */
    @Override
    public int channels() {
        return 3;
    }
}
