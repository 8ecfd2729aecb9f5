package org.crate4j.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import org.crate4j.analysis.LayerwiseResult;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The paper's layer-wise figure: coding rate of the subspace projections (left) and the non-zero
 * fraction of the ISTA output (right) against the layer, mean ± one standard deviation over images.
 */
public final class LayerwisePlot {
    private static final int WIDTH = 520, HEIGHT = 400;

    private LayerwisePlot() {}

    public static BufferedImage render(LayerwiseResult r, String title) {
        Headless.ensure();
        double[] layers = r.layerIndices();
        BufferedImage left = BitmapEncoder.getBufferedImage(chart(
                "Compression: coding rate R (ε = " + r.epsilon() + ")", "R, summed over heads",
                layers, r.codingRateMeans(), r.codingRateStds(), new Color(33, 102, 172)));
        BufferedImage right = BitmapEncoder.getBufferedImage(chart(
                "Sparsity: ‖Z‖₀ / size of the ISTA output", "non-zero fraction",
                layers, r.nonZeroMeans(), r.nonZeroStds(), new Color(178, 24, 43)));
        BufferedImage out = new BufferedImage(2 * WIDTH, HEIGHT + 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 14));
        g.drawString(title + " — " + r.images() + " images, mean ± std", 10, 20);
        g.drawImage(left, 0, 30, null);
        g.drawImage(right, WIDTH, 30, null);
        g.dispose();
        return out;
    }

    private static XYChart chart(String title, String yTitle, double[] x, double[] mean, double[] std, Color color) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("layer (0-based)").yAxisTitle(yTitle).build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotBackgroundColor(Color.WHITE);
        c.getStyler().setErrorBarsColorSeriesColor(true);
        c.getStyler().setXAxisDecimalPattern("0");
        c.getStyler().setMarkerSize(7);
        var s = c.addSeries(yTitle, x, mean, std);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setLineColor(color);
        s.setMarkerColor(color);
        return c;
    }
}
