package dev.fathom.tensor;

/** A device was asked for by name and cannot be used here; the message carries the reason. */
public final class DeviceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Device device;
    private final String reason;

    public DeviceUnavailableException(Device device, String reason) {
        super(device + " is not available: " + reason);
        this.device = device;
        this.reason = reason;
    }

    /** Why the device cannot be used (the message without the device's name). */
    public String reason() {
        return reason;
    }

    /** The device that was asked for. */
    public Device device() {
        return device;
    }
}
