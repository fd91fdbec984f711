// A sink connector for test/real/sink-progress.test.ts: its task's put() blocks while the file
// named by block.file exists, so the task stays RUNNING and commits nothing, the case state-based
// checks cannot see. Compiled with javac against the worker's own jars when the test runs.
package healthz.test;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

public class BlockingSinkConnector extends SinkConnector {
  private Map<String, String> props;

  @Override public void start(Map<String, String> props) { this.props = props; }
  @Override public Class<? extends Task> taskClass() { return BlockingSinkTask.class; }
  @Override public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) configs.add(props);
    return configs;
  }
  @Override public void stop() { }
  @Override public ConfigDef config() {
    return new ConfigDef().define("block.file", ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH, "While this file exists, put() blocks.");
  }
  @Override public String version() { return "1"; }

  public static class BlockingSinkTask extends SinkTask {
    private String file = "";

    @Override public String version() { return "1"; }
    @Override public void start(Map<String, String> props) { file = props.getOrDefault("block.file", ""); }
    @Override public void put(Collection<SinkRecord> records) {
      while (!file.isEmpty() && Files.exists(Paths.get(file))) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    @Override public void stop() { }
  }
}
