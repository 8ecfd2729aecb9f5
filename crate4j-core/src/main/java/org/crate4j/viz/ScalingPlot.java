package org.crate4j.viz;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Cost against the number of tokens on log-log axes (the scaling benchmark's figure), as one PNG. */
public final class ScalingPlot {
    /** One line: its name and its (n, value) points, values positive. */
    public record Line(String name, List<Double> tokens, List<Double> values) {}

    /** One chart of lines. */
    public record Panel(String title, String yLabel, List<Line> lines) {}

    private ScalingPlot() {}

    /** The panels side by side, each with log-scaled axes; empty lines are left out. Atomic. */
    public static void write(Path png, List<Panel> panels) {
        Headless.ensure();
        int w = 600, h = 440;
        BufferedImage out = new BufferedImage(w * panels.size(), h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        for (int i = 0; i < panels.size(); i++) {
            Panel p = panels.get(i);
            XYChart chart = new XYChartBuilder().width(w).height(h).title(p.title()).xAxisTitle("tokens n").yAxisTitle(p.yLabel()).build();
            chart.getStyler().setXAxisLogarithmic(true);
            chart.getStyler().setYAxisLogarithmic(true);
            boolean any = false;
            for (Line l : p.lines()) {
                if (!l.tokens().isEmpty()) {
                    chart.addSeries(l.name(), l.tokens(), l.values()).setMarker(SeriesMarkers.CIRCLE);
                    any = true;
                }
            }
            if (!any) {
                chart.addSeries("no point measured", List.of(1.0), List.of(1.0));
            }
            g.drawImage(BitmapEncoder.getBufferedImage(chart), i * w, 0, null);
        }
        g.dispose();
        AtomicWrite.png(out, png);
    }
}
