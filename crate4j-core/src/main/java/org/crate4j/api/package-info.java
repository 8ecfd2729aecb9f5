/**
 * The short way in: {@link org.crate4j.api.CrateModel} loads any weights file crate4j reads and
 * answers predictions, attention maps and features for images; {@code org.crate4j.train} holds
 * the training API. Everything below this package is the library's full surface.
 */
package org.crate4j.api;
