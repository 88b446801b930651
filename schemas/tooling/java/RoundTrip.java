// The Java round trip of tests/integration/test_generated_models.py: each record read with Jackson into the class
// Modelina generated for its channel (the channel's union when it carries several messages) and written back.
// Usage: java -cp <jackson jars>:<classes> RoundTrip <cases.json>
// cases.json: [{"message": name, "expect": class, "read_as": class or union, "record": {...}}, ...]
// Prints one JSON object per case: {message, class (what Jackson made), json (written back)} or {message, error}.
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

public class RoundTrip {
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);
        ArrayNode out = mapper.createArrayNode();
        for (JsonNode c : mapper.readTree(Files.readString(Path.of(args[0])))) {
            ObjectNode result = out.addObject();
            result.put("message", c.get("message").asText());
            try {
                Class<?> readAs = Class.forName("frontdoor.models." + c.get("read_as").asText());
                Object value = mapper.treeToValue(c.get("record"), readAs);
                result.put("class", value.getClass().getSimpleName());
                result.set("json", mapper.readTree(mapper.writeValueAsString(value)));
            } catch (Exception e) {
                String text = String.valueOf(e.getMessage());
                result.put("error", e.getClass().getSimpleName() + ": " + text.split("\n")[0]);
            }
        }
        System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    }
}
