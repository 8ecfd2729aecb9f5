package org.crate4j.checkpoint;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;

/**
 * A pickle virtual machine that only builds data. Globals, calls and persistent ids are handed to
 * an {@link Interpreter} which maps a fixed set of names to inert Java values; nothing here loads a
 * class or invokes a method by name. The machine is iterative, so nesting cannot overflow the Java
 * stack; stack, mark and memo sizes are capped.
 */
final class Unpickler {

    /** What the pickle's globals, calls and persistent ids mean. */
    interface Interpreter {
        Object global(String module, String name);

        Object call(Object callable, List<Object> args);

        Object newObject(Object cls, List<Object> args, Map<String, Object> kwargs);

        Object persistentLoad(Object pid);
    }

    private static final int MAX_STACK = 4_000_000;
    private static final int MAX_MARKS = 1_000_000;
    private static final int MAX_MEMO = 4_000_000;
    private static final int MAX_LONG_BYTES = 1 << 16;

    private final PickleInput in;
    private final Interpreter interpreter;
    private final String where;
    private ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<ArrayList<Object>> metastack = new ArrayList<>();
    private final HashMap<Long, Object> memo = new HashMap<>();
    /** Memo slots holding each PickledObject, so BUILD can swap in the object with its state. */
    private final IdentityHashMap<Object, List<Long>> memoSlots = new IdentityHashMap<>();

    Unpickler(PickleInput in, Interpreter interpreter, String where) {
        this.in = in;
        this.interpreter = interpreter;
        this.where = where;
    }

    /** Runs to STOP and returns the pickled value. */
    Object load() {
        while (true) {
            long at = in.position();
            int op = in.readByte();
            try {
                if (op == '.') {
                    return pop(at);
                }
                execute(op, at);
            } catch (ClassCastException | IndexOutOfBoundsException | NumberFormatException
                     | ArithmeticException | NullPointerException e) {
                throw malformed(at, "opcode " + opName(op) + " found unexpected operands (" + e.getMessage() + ")");
            }
        }
    }

    private void execute(int op, long at) {
        switch (op) {
            case 0x80 -> { // PROTO
                int protocol = in.readByte();
                if (protocol > 5) {
                    throw new CrateException(where + ": pickle protocol " + protocol + " is newer than crate4j reads (2 to 5); "
                            + "re-save with torch.save(..., pickle_protocol=2)");
                }
            }
            case 0x95 -> in.readLittleEndian(8); // FRAME: a buffering hint only
            case '(' -> { // MARK
                if (metastack.size() >= MAX_MARKS) {
                    throw malformed(at, "more than " + MAX_MARKS + " nested marks");
                }
                metastack.add(stack);
                stack = new ArrayList<>();
            }
            case '0' -> { // POP
                if (stack.isEmpty()) {
                    popMark(at);
                } else {
                    stack.remove(stack.size() - 1);
                }
            }
            case '1' -> popMark(at); // POP_MARK
            case '2' -> push(peek(at)); // DUP
            case '}' -> push(new LinkedHashMap<String, Object>()); // EMPTY_DICT
            case ']', 0x8f -> push(new ArrayList<>()); // EMPTY_LIST, EMPTY_SET (sets read as lists)
            case ')' -> push(new ArrayList<>(0)); // EMPTY_TUPLE
            case 't', 'l', 0x91 -> push(new ArrayList<>(popMark(at))); // TUPLE, LIST, FROZENSET
            case 0x85 -> push(tuple(at, 1)); // TUPLE1
            case 0x86 -> push(tuple(at, 2)); // TUPLE2
            case 0x87 -> push(tuple(at, 3)); // TUPLE3
            case 'd' -> { // DICT
                List<Object> items = popMark(at);
                Map<String, Object> dict = new LinkedHashMap<>();
                putPairs(dict, items, at);
                push(dict);
            }
            case 'a' -> { // APPEND
                List<Object> one = new ArrayList<>(1);
                one.add(pop(at));
                appendTo(peek(at), one, at);
            }
            case 'e', 0x90 -> { // APPENDS, ADDITEMS
                List<Object> items = popMark(at);
                appendTo(peek(at), items, at);
            }
            case 's' -> { // SETITEM
                Object value = pop(at);
                Object key = pop(at);
                List<Object> pair = new ArrayList<>(2);
                pair.add(key);
                pair.add(value);
                setItems(peek(at), pair, at);
            }
            case 'u' -> { // SETITEMS
                List<Object> items = popMark(at);
                setItems(peek(at), items, at);
            }
            case 'J' -> push((long) (int) in.readLittleEndian(4)); // BININT
            case 'K' -> push(in.readLittleEndian(1)); // BININT1
            case 'M' -> push(in.readLittleEndian(2)); // BININT2
            case 0x8a -> push(longFromBytes(in.readByte(), at)); // LONG1
            case 0x8b -> push(longFromBytes(in.readLittleEndian(4), at)); // LONG4
            case 'I' -> { // INT (protocol 0): 00 and 01 are False and True
                String text = in.readLine();
                push(text.equals("00") ? Boolean.FALSE : text.equals("01") ? Boolean.TRUE : integer(new BigInteger(text.trim())));
            }
            case 'L' -> { // LONG (protocol 0)
                String text = in.readLine().trim();
                push(integer(new BigInteger(text.endsWith("L") ? text.substring(0, text.length() - 1) : text)));
            }
            case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.readLittleEndian(8)))); // BINFLOAT: big-endian
            case 'F' -> push(PythonText.parseFloat(in.readLine())); // FLOAT
            case 'N' -> push(null); // NONE
            case 0x88 -> push(Boolean.TRUE); // NEWTRUE
            case 0x89 -> push(Boolean.FALSE); // NEWFALSE
            case 'X' -> push(utf8(in.readBytes(in.readLittleEndian(4)))); // BINUNICODE
            case 0x8c -> push(utf8(in.readBytes(in.readByte()))); // SHORT_BINUNICODE
            case 0x8d -> push(utf8(in.readBytes(in.readLittleEndian(8)))); // BINUNICODE8
            case 'V' -> push(PythonText.rawUnicodeEscape(in.readLineBytes())); // UNICODE
            case 'S' -> push(utf8(PythonText.unquoteBytes(in.readLine()))); // STRING: Python 2 str, read as torch does (utf-8)
            case 'T' -> push(utf8(in.readBytes(in.readLittleEndian(4)))); // BINSTRING
            case 'U' -> push(utf8(in.readBytes(in.readByte()))); // SHORT_BINSTRING
            case 'B' -> push(in.readBytes(in.readLittleEndian(4))); // BINBYTES
            case 'C' -> push(in.readBytes(in.readByte())); // SHORT_BINBYTES
            case 0x8e, 0x96 -> push(in.readBytes(in.readLittleEndian(8))); // BINBYTES8, BYTEARRAY8
            case 0x98 -> { } // READONLY_BUFFER: no-op on data we already hold
            case 'q' -> memoize(in.readByte(), at); // BINPUT
            case 'r' -> memoize(in.readLittleEndian(4), at); // LONG_BINPUT
            case 'p' -> memoize(Long.parseLong(in.readLine().trim()), at); // PUT
            case 0x94 -> memoize(memo.size(), at); // MEMOIZE
            case 'h' -> push(recall(in.readByte(), at)); // BINGET
            case 'j' -> push(recall(in.readLittleEndian(4), at)); // LONG_BINGET
            case 'g' -> push(recall(Long.parseLong(in.readLine().trim()), at)); // GET
            case 'c' -> { // GLOBAL
                String module = in.readLine();
                push(interpreter.global(module, in.readLine()));
            }
            case 0x93 -> { // STACK_GLOBAL
                String name = (String) pop(at);
                push(interpreter.global((String) pop(at), name));
            }
            case 'i' -> { // INST (protocol 0 object)
                String module = in.readLine();
                Object cls = interpreter.global(module, in.readLine());
                push(interpreter.newObject(cls, popMark(at), Map.of()));
            }
            case 'o' -> { // OBJ (protocol 1 object)
                List<Object> items = popMark(at);
                push(interpreter.newObject(items.get(0), new ArrayList<>(items.subList(1, items.size())), Map.of()));
            }
            case 'R' -> { // REDUCE
                List<Object> args = asArgs(pop(at), at);
                push(interpreter.call(pop(at), args));
            }
            case 0x81 -> { // NEWOBJ
                List<Object> args = asArgs(pop(at), at);
                push(interpreter.newObject(pop(at), args, Map.of()));
            }
            case 0x92 -> { // NEWOBJ_EX
                Object kwargs = pop(at);
                List<Object> args = asArgs(pop(at), at);
                @SuppressWarnings("unchecked")
                Map<String, Object> named = kwargs instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
                push(interpreter.newObject(pop(at), args, named));
            }
            case 'b' -> { // BUILD
                Object state = pop(at);
                Object target = peek(at);
                Object built = build(target, state);
                if (built != target) {
                    replace(target, built);
                }
            }
            case 'Q' -> push(interpreter.persistentLoad(pop(at))); // BINPERSID
            case 'P' -> push(interpreter.persistentLoad(in.readLine())); // PERSID
            default -> throw new CrateException(where + ": pickle opcode " + opName(op) + " at byte " + at
                    + " is not supported by crate4j (extension registry or out-of-band buffers); "
                    + "re-save the checkpoint with torch.save(..., pickle_protocol=2)");
        }
    }

    /** BUILD sets Python attributes; only inert objects keep them (a state dict's _metadata is dropped). */
    private static Object build(Object target, Object state) {
        if (target instanceof PickledObject o) {
            return new PickledObject(o.className(), o.args(), merge(o.state(), state));
        }
        return target;
    }

    @SuppressWarnings("unchecked")
    private static Object merge(Object existing, Object added) {
        if (existing instanceof Map<?, ?> a && added instanceof Map<?, ?> b) {
            Map<String, Object> both = new LinkedHashMap<>((Map<String, Object>) a);
            both.putAll((Map<String, Object>) b);
            return both;
        }
        if (existing instanceof List<?> a && added instanceof List<?> b) {
            List<Object> both = new ArrayList<>(a);
            both.addAll(b);
            return both;
        }
        return added == null ? existing : added;
    }

    @SuppressWarnings("unchecked")
    private void appendTo(Object target, List<Object> items, long at) {
        if (target instanceof List<?> list) {
            ((List<Object>) list).addAll(items);
        } else if (target instanceof PickledObject o) {
            replace(o, new PickledObject(o.className(), o.args(), merge(o.state() == null ? new ArrayList<>() : o.state(), items)));
        } else {
            throw malformed(at, "appends items to " + describe(target));
        }
    }

    @SuppressWarnings("unchecked")
    private void setItems(Object target, List<Object> pairs, long at) {
        if (target instanceof Map<?, ?> map) {
            putPairs((Map<String, Object>) map, pairs, at);
        } else if (target instanceof PickledObject o) {
            Map<String, Object> items = new LinkedHashMap<>();
            putPairs(items, pairs, at);
            replace(o, new PickledObject(o.className(), o.args(), merge(o.state() == null ? new LinkedHashMap<>() : o.state(), items)));
        } else {
            throw malformed(at, "sets dict items on " + describe(target));
        }
    }

    private void putPairs(Map<String, Object> dict, List<Object> items, long at) {
        if (items.size() % 2 != 0) {
            throw malformed(at, "has a dict with an odd number of keys and values");
        }
        for (int i = 0; i < items.size(); i += 2) {
            dict.put(PythonText.str(items.get(i)), items.get(i + 1));
        }
    }

    /**
     * Swaps an inert object (always the stack top: the target of BUILD, SETITEMS or APPENDS) for its
     * updated copy, here and in the memo, so later references see the state too.
     */
    private void replace(Object old, Object updated) {
        if (!stack.isEmpty() && stack.get(stack.size() - 1) == old) {
            stack.set(stack.size() - 1, updated);
        }
        List<Long> slots = memoSlots.remove(old);
        if (slots != null) {
            for (Long slot : slots) {
                if (memo.get(slot) == old) {
                    memo.put(slot, updated);
                }
            }
            memoSlots.put(updated, slots);
        }
    }

    private void memoize(long index, long at) {
        if (memo.size() >= MAX_MEMO) {
            throw malformed(at, "memoizes more than " + MAX_MEMO + " values");
        }
        Object value = peek(at);
        memo.put(index, value);
        if (value instanceof PickledObject) {
            memoSlots.computeIfAbsent(value, k -> new ArrayList<>(1)).add(index);
        }
    }

    private Object recall(long index, long at) {
        if (!memo.containsKey(index)) {
            throw malformed(at, "refers to memo entry " + index + " that was never stored");
        }
        return memo.get(index);
    }

    private static Object integer(BigInteger v) {
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** LONG1/LONG4: two's-complement little-endian; Long when it fits, BigInteger beyond 64 bits. */
    private Object longFromBytes(long n, long at) {
        if (n > MAX_LONG_BYTES) {
            throw malformed(at, "holds a " + n + "-byte integer");
        }
        byte[] le = in.readBytes(n);
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return integer(new BigInteger(be));
    }

    private List<Object> tuple(long at, int n) {
        ArrayList<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add(0, pop(at));
        }
        return items;
    }

    @SuppressWarnings("unchecked")
    private List<Object> asArgs(Object args, long at) {
        if (args instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw malformed(at, "passes " + describe(args) + " where a tuple of arguments belongs");
    }

    private List<Object> popMark(long at) {
        if (metastack.isEmpty()) {
            throw malformed(at, "pops a mark that was never set");
        }
        ArrayList<Object> items = stack;
        stack = metastack.remove(metastack.size() - 1);
        return items;
    }

    private void push(Object value) {
        if (stack.size() >= MAX_STACK) {
            throw new CrateException(where + ": pickle stack grows beyond " + MAX_STACK + " values; the file is corrupt or hostile");
        }
        stack.add(value);
    }

    private Object pop(long at) {
        if (stack.isEmpty()) {
            throw malformed(at, "pops from an empty stack");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(long at) {
        if (stack.isEmpty()) {
            throw malformed(at, "reads from an empty stack");
        }
        return stack.get(stack.size() - 1);
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String describe(Object v) {
        return v == null ? "None" : v instanceof PickledObject o ? o.className() : v.getClass().getSimpleName();
    }

    private static String opName(int op) {
        return String.format("0x%02x", op) + (op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : "");
    }

    private CrateException malformed(long at, String problem) {
        return new CrateException(where + ": pickle is malformed: at byte " + at + " it " + problem
                + "; the file is corrupt: re-download or re-save it");
    }
}
