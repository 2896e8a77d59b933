package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PTX reading behind the emulated driver: entries, parameter widths, and which kernels synchronize. */
class PtxModuleTest {

    private static final String PTX = """
            .version 9.0
            .target sm_75
            .address_size 64
            // .globl plain
            .func  (.param .b64 func_retval0) helper
            (
            	.param .b64 helper_param_0
            )
            ;
            .func waits()
            ;
            .visible .entry plain(
            	.param .u64 plain_param_0,
            	.param .align 8 .b8 plain_param_1[144],
            	.param .u32 plain_param_2,
            	.param .f32 plain_param_3
            )
            {
            	{ // callseq 0, 0
            	call.uni (retval0),
            	helper,
            	(
            	param0
            	);
            	} // callseq 0
            	ret;
            }
            .visible .entry indirect(
            	.param .f64 indirect_param_0
            )
            {
            	call.uni waits, ();
            	ret;
            }
            .visible .entry direct()
            {
            	@%p1 bar.sync 	0;
            	ret;
            }
            .func  (.param .b64 func_retval0) helper(
            	.param .b64 helper_param_0
            )
            {
            	/* bar.sync in a comment is not a barrier */
            	ret;
            }
            .func waits()
            {
            	shfl.sync.down.b32 %r1, %r2, 1, 31, -1;
            	ret;
            }
            """;

    @Test
    void readsEntriesParametersAndBarriersThroughCalls() {
        PtxModule m = PtxModule.parse(PTX);
        assertEquals(List.of("plain", "indirect", "direct"), m.names());
        assertEquals(List.of(new PtxModule.Param("i", 8), new PtxModule.Param("struct", 144), new PtxModule.Param("i", 4),
                new PtxModule.Param("f", 4)), m.entries().get("plain").params());
        assertEquals(List.of(new PtxModule.Param("f", 8)), m.entries().get("indirect").params());
        assertEquals(List.of(), m.entries().get("direct").params());
        assertFalse(m.entries().get("plain").synchronizes(), "its callee has no barrier");
        assertTrue(m.entries().get("indirect").synchronizes(), "its callee shuffles");
        assertTrue(m.entries().get("direct").synchronizes(), "a predicated bar.sync");
    }

    @Test
    void everyCommittedModuleParses() throws Exception {
        try (var files = Files.list(Emulator.PTX_DIR)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".ptx")).toList()) {
                PtxModule m = PtxModule.parse(Files.readAllBytes(p));
                long declared = Files.readAllLines(p).stream().filter(l -> l.startsWith(".visible .entry ")).count();
                assertEquals(declared, m.entries().size(), p.toString());
            }
        }
    }
}
