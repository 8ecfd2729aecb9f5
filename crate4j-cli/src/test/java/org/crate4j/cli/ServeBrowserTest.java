package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.crate4j.analysis.ClassTokenAttention;
import org.crate4j.api.Classification;
import org.crate4j.api.CrateModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The explorer page in a real browser: Debian's chromium, headless, driven through its
 * chromedriver (both from apt; .ci/run installs them, and the test is skipped without them).
 * Nothing is downloaded: the driver and the browser are named explicitly, so Selenium Manager has
 * nothing to look for.
 */
class ServeBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium"), CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    @Test
    void uploadSliderPredictionAttentionAndATruncatedImageInChromium() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)");
        long started = System.nanoTime();
        ServeFixture f = new ServeFixture(tmp);
        try (ExplorerServer server = ServeFixture.serve("--runs", f.runs.toString(), "--port", "0")) {
            WebDriver browser = chromium(Files.createDirectories(tmp.resolve("profile")));
            try {
                browser.get(server.url());
                WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
                wait.until(d -> d.findElement(By.id("model-facts")).getText().contains("classifier, 5 classes"));
                assertTrue(browser.findElement(By.id("checkpoint")).getText().contains("runs/exp/model.safetensors"));

                browser.findElement(By.id("file")).sendKeys(f.picture.toString());
                List<WebElement> guesses = wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#prediction li[data-probability]"), 5));
                try (CrateModel m = CrateModel.load(f.weights)) {
                    Classification top = m.predict(f.picture, 5).get(0);
                    WebElement first = guesses.get(0);
                    String shown = top.label().equals(String.valueOf(top.index())) ? "class " + top.index() : top.label(); // the fixture has no class names
                    assertEquals(shown, first.findElement(By.className("label")).getText());
                    assertEquals(String.format(java.util.Locale.ROOT, "%.2f%%", 100 * top.probability()), first.findElement(By.className("prob")).getText());
                    assertEquals(top.probability(), Double.parseDouble(first.getAttribute("data-probability")), 1e-12);

                    // 4 heads + the image + the mean, at the default (penultimate) layer, then layer 1 through the slider
                    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#attention figure"), 6));
                    assertEquals("0", browser.findElement(By.id("attention")).getAttribute("data-layer"));
                    browser.findElement(By.id("layer")).sendKeys(Keys.ARROW_RIGHT);
                    wait.until(ExpectedConditions.attributeToBe(By.id("attention"), "data-layer", "1"));
                    assertEquals("1 of 0–1", browser.findElement(By.id("layer-value")).getText());
                    InputImage img = InputImage.load(f.picture, 16, 3, m.normalization());
                    ClassTokenAttention want = ClassTokenAttention.of(m.encoder(), img.input(), 1).get(0);
                    List<WebElement> heads = browser.findElements(By.cssSelector("#attention figure[data-class-token]"));
                    assertEquals(4, heads.size());
                    for (int j = 0; j < 4; j++) {
                        assertEquals(want.toClassToken()[j], Float.parseFloat(heads.get(j).getAttribute("data-class-token")), 1e-6f, "head " + j);
                        float max = 0;
                        for (float v : want.toPatches()[j]) {
                            max = Math.max(max, v);
                        }
                        assertEquals(max, Float.parseFloat(heads.get(j).getAttribute("data-max")), 1e-6f);
                        String caption = heads.get(j).getText();
                        assertTrue(caption.contains(String.format(java.util.Locale.ROOT, "%.3f", want.toClassToken()[j])), caption);
                    }
                    long painted = colours(browser, "#attention figure[data-head='0'] canvas");
                    assertTrue(painted > 50, "the tile is painted: " + painted + " colours");
                }
                // PCA and segmentation follow the slider once the server has answered for layer 1
                wait.until(ExpectedConditions.attributeToBe(By.id("pca"), "data-layer", "1"));
                wait.until(ExpectedConditions.attributeToBe(By.id("segment"), "data-layer", "1"));
                assertEquals(5, browser.findElements(By.cssSelector("#pca figure")).size(), "image, PC1, foreground, PC2-4, PC2-4 on the foreground");
                assertEquals(6, browser.findElements(By.cssSelector("#segment figure")).size(), "image, MaskCut, 4 coarse masks");
                assertTrue(browser.findElement(By.id("pca-note")).getText().startsWith("layer 1;"));
                assertEquals(3, browser.findElements(By.cssSelector("#layerwise-table tr")).size(), "a header and 2 layers");
                wait.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#curves svg"), 2));
                screenshot(browser, Path.of("target", "serve.png"));

                Path cut = tmp.resolve("cut.png");
                Files.write(cut, ServeFixture.truncated(f.picture));
                browser.findElement(By.id("file")).sendKeys(cut.toString());
                WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
                wait.until(d -> !error.getText().isEmpty());
                assertTrue(error.getText().startsWith("image cut.png is truncated"), error.getText());
                assertEquals(5, browser.findElements(By.cssSelector("#prediction li[data-probability]")).size(), "the last image's results stay");
                screenshot(browser, Path.of("target", "serve-error.png"));
            } finally {
                browser.quit();
            }
        }
        System.out.printf("ServeBrowserTest: %.1f s from server start to browser quit%n", (System.nanoTime() - started) / 1e9);
    }

    /** Headless chromium with a fresh profile and no background traffic. */
    private static WebDriver chromium(Path profile) {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check", "--user-data-dir=" + profile,
                "--window-size=1360,2240", "--force-device-scale-factor=1");
        return new ChromeDriver(service, options);
    }

    /** How many distinct colours a canvas holds. */
    private static long colours(WebDriver browser, String canvas) {
        Object n = ((JavascriptExecutor) browser).executeScript(
                "const c = document.querySelector(arguments[0]); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + "const seen = new Set(); for (let i = 0; i < d.length; i += 4) seen.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]); return seen.size;",
                canvas);
        return ((Number) n).longValue();
    }

    private static void screenshot(WebDriver browser, Path file) throws java.io.IOException {
        Files.createDirectories(file.getParent());
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
