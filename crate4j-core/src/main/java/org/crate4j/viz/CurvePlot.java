package org.crate4j.viz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.crate4j.CrateException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line charts as PNG (headless), written atomically. */
public final class CurvePlot {
    public record Series(String name, List<Double> x, List<Double> y) {}

    private CurvePlot() {}

    /** One chart per panel, stacked side by side in one PNG. */
    public static void write(Path png, String title, List<Panel> panels) {
        System.setProperty("java.awt.headless", "true");
        int w = 520, h = 380;
        java.awt.image.BufferedImage out = new java.awt.image.BufferedImage(w * panels.size(), h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        for (int i = 0; i < panels.size(); i++) {
            Panel p = panels.get(i);
            XYChart chart = new XYChartBuilder().width(w).height(h).title(p.title()).xAxisTitle(p.xLabel()).yAxisTitle(p.yLabel()).build();
            chart.getStyler().setLegendVisible(p.series().size() > 1);
            for (Series s : p.series()) {
                if (!s.x().isEmpty()) {
                    chart.addSeries(s.name(), s.x(), s.y()).setMarker(s.x().size() < 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
                }
            }
            g.drawImage(BitmapEncoder.getBufferedImage(chart), i * w, 0, null);
        }
        g.dispose();
        AtomicWrite.png(out, png);
    }

    public record Panel(String title, String xLabel, String yLabel, List<Series> series) {}

}
