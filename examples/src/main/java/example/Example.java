package example;

import java.nio.file.Path;
import org.crate4j.api.Classification;
import org.crate4j.api.CrateModel;

/** Prints the five most probable classes of an image: java example.Example WEIGHTS IMAGE */
public class Example {
    public static void main(String[] args) {
        try (CrateModel model = CrateModel.load(Path.of(args[0]))) {
            for (Classification c : model.predict(Path.of(args[1]), 5)) {
                System.out.printf("%6.2f%%  %s%n", 100 * c.probability(), c.label());
            }
        }
    }
}
